import { BridgeConfigError, readBridgeConfig } from "./config.js";

/** Entry point of `clustr-bridge`: the one error boundary; problems go to stderr, never stdout. */
export async function main(argv: string[]): Promise<void> {
  try {
    readBridgeConfig(argv, process.env);
    process.stderr.write("clustr-bridge: the MCP server is not built yet\n");
    process.exitCode = 1;
  } catch (error) {
    const message = error instanceof BridgeConfigError ? error.message : String(error);
    process.stderr.write(`clustr-bridge: ${message}\n`);
    process.exitCode = 1;
  }
}
