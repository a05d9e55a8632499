import { startBridge } from "./bridge.js";
import { BridgeConfigError, readBridgeConfig } from "./config.js";
import { bridgeVersion } from "./package-files.js";

// Once the bridge has closed, nothing it owns should hold the process; if something still
// does, leave anyway rather than outlive the CLI.
const EXIT_GRACE_MS = 2_000;

const log = (line: string) => {
  process.stderr.write(`clustr-bridge: ${line}\n`);
};

/** Entry point of `clustr-bridge`: the one error boundary; problems go to stderr, never stdout. */
export async function main(argv: string[]): Promise<void> {
  try {
    const config = readBridgeConfig(argv, process.env);
    const bridge = await startBridge({ config, input: process.stdin, output: process.stdout, log, version: bridgeVersion() });
    const stop = () => void bridge.close();
    process.once("SIGTERM", stop);
    process.once("SIGINT", stop);
    await bridge.closed;
    process.off("SIGTERM", stop);
    process.off("SIGINT", stop);
    process.exitCode = 0;
    setTimeout(() => process.exit(), EXIT_GRACE_MS).unref();
  } catch (error) {
    const message = error instanceof BridgeConfigError ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error);
    log(message);
    process.exitCode = 1;
  }
}
