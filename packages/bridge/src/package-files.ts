import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/**
 * Absolute path of the `clustr-bridge` script. The spawner starts the bridge as
 * `process.execPath` + this path, never by looking a name up on PATH.
 */
export function bridgeScriptPath(): string {
  // This module sits in dist/ (or src/ under test); bin/ is its sibling in the package.
  return fileURLToPath(new URL("../bin/clustr-bridge.js", import.meta.url));
}

/** The package's version, reported to the MCP client as the server version. */
export function bridgeVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version?: unknown };
  return typeof manifest.version === "string" ? manifest.version : "0.0.0";
}
