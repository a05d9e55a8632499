#!/usr/bin/env node
// Installs the real agent CLIs of the end-to-end tests into their cache folder (idempotent).
// Usage: node tooling/e2e/install-clis.mjs [claude-2.1.197 claude-2.1.330 codex-0.169.0]
import { existsSync } from "node:fs";

const entry = new URL("./dist/index.js", import.meta.url);
if (!existsSync(entry)) {
  console.error("install-clis: build first: pnpm exec turbo run build --filter=@clustr/e2e-tools");
  process.exit(1);
}
const { installClis, E2E_CLIS } = await import(entry.href);
const ids = process.argv.slice(2);
try {
  const bins = await installClis(ids.length > 0 ? ids : E2E_CLIS.map((c) => c.id), (line) => console.error(`install-clis: ${line}`));
  for (const [id, bin] of Object.entries(bins)) console.log(`${id}\t${bin}`);
} catch (error) {
  console.error(`install-clis: ${error.message}${error.hint ? `\n  try: ${error.hint}` : ""}`);
  process.exit(1);
}
