#!/bin/sh
# Runs a command (e.g. a whole vitest run: fake model, server and clients) inside a fresh
# loopback-only network namespace, so nothing a test starts can reach the internet.
# The real agent CLIs, and the packed packages, are installed first, while the network is
# still there.
# As root: re-execs itself under `unshare -n` and brings `lo` up. Not root: runs the command as
# is, with a warning. Already inside (CLUSTR_E2E_ISOLATED=1): runs the command.
set -e
here=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
if [ "$#" -eq 0 ]; then
  echo "usage: isolated.sh <command> [args...]" >&2
  exit 2
fi
if [ "${CLUSTR_E2E_ISOLATED:-}" = "1" ]; then
  exec "$@"
fi
if [ "${CLUSTR_E2E_SKIP_INSTALL:-}" != "1" ]; then
  node "$here/install-clis.mjs" >/dev/null
  # The packed clustr-ai and its packages, installed with npm into the cache (pack-install.mjs).
  node "$here/pack-install.mjs" >/dev/null
fi
if [ "$(id -u)" != "0" ]; then
  echo "isolated.sh: not root, so no network namespace: running without isolation" >&2
  exec "$@"
fi
exec unshare -n -- env CLUSTR_E2E_ISOLATED=1 sh -c 'ip link set lo up && exec "$@"' clustr-isolated "$@"
