import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Where the bridge lives: this Node binary and the absolute path of `clustr-bridge`'s script,
 * resolved from the installed @clustr/bridge package without loading it. Agents start their
 * bridge by this path, never through a PATH lookup.
 */
export function defaultBridgeLauncher(): { node: string; script: string } {
  const entry = fileURLToPath(import.meta.resolve("@clustr/bridge"));
  return { node: process.execPath, script: join(dirname(entry), "..", "bin", "clustr-bridge.js") };
}
