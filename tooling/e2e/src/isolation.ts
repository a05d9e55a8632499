import { networkInterfaces } from "node:os";

/** Set inside the namespace, so a wrapper run there does not try to enter another one. */
export const ISOLATED_ENV = "CLUSTR_E2E_ISOLATED";

/** True when this process runs as root (only root may `unshare -n` here). */
export function isRoot(): boolean {
  return process.getuid?.() === 0;
}

/** True when every network interface this process sees is loopback: nothing can leave the machine. */
export function hasLoopbackOnly(): boolean {
  return Object.values(networkInterfaces()).every((addresses) => (addresses ?? []).every((a) => a.internal));
}

/**
 * The argv that runs `argv` inside a fresh loopback-only network namespace (`unshare -n`, then
 * `ip link set lo up` so 127.0.0.1 works), with {@link ISOLATED_ENV} set. Returns `argv` unchanged
 * when not root (no namespace can be made) or when already isolated.
 * Install the CLIs before: nothing can be downloaded inside.
 */
export function isolatedArgv(argv: readonly string[]): string[] {
  if (!isRoot() || process.env[ISOLATED_ENV] === "1") return [...argv];
  return ["unshare", "-n", "--", "env", `${ISOLATED_ENV}=1`, "sh", "-c", 'ip link set lo up && exec "$@"', "clustr-isolated", ...argv];
}
