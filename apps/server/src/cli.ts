import { ClustrError, isClustrError } from "@clustr/protocol";
import { parseCommandLine, USAGE } from "./args.js";
import { openBrowser, shouldOpenBrowser } from "./browser.js";
import { startServer, type RunningServer } from "./launch.js";
import { releaseServerInfo } from "./server-info.js";
import { VERSION } from "./version.js";

/** Exit status for command lines that cannot be understood (as most CLIs do). */
const EXIT_USAGE = 2;
const EXIT_FAILURE = 1;
const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];

/** Standard streams and environment of {@link main}, replaceable for embedding. */
export interface CliIo {
  stdout: NodeJS.WriteStream | NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
}

/**
 * The `clustr-ai` command line. The one error boundary of the launcher: whatever goes wrong
 * before the server runs is printed as a readable message and ends with a non-zero exit
 * status. Once running, SIGINT/SIGTERM close everything, remove `server.json` and exit 0.
 */
export async function main(argv: string[], io: CliIo = { stdout: process.stdout, stderr: process.stderr, env: process.env }): Promise<void> {
  // A closed pipe (`clustr-ai --help | head`, a terminal gone) must not crash a running server.
  io.stdout.on("error", ignoreBrokenPipe);
  io.stderr.on("error", ignoreBrokenPipe);
  try {
    const command = parseCommandLine(argv, io.env);
    if (command.kind === "help") {
      io.stdout.write(USAGE);
      return;
    }
    if (command.kind === "version") {
      io.stdout.write(`${VERSION}\n`);
      return;
    }
    const config = command.config;
    const logLevel = io.env.CLUSTR_LOG_LEVEL || "warn";
    if (!LOG_LEVELS.includes(logLevel)) {
      throw new ClustrError("bad_request", `CLUSTR_LOG_LEVEL must be one of ${LOG_LEVELS.join(", ")}, got "${logLevel}"`);
    }
    // Signals are caught from before server.json exists, so none can kill the process between
    // writing it and being ready to remove it.
    const shutdown = installShutdown(io);
    const server = await startServer(config, { logger: { level: logLevel, stream: io.stderr } });
    shutdown.attach(server);

    if (server.busyPort !== undefined) io.stdout.write(`Port ${server.busyPort} is busy; using ${server.info.port}.\n`);
    io.stdout.write(`Clustr ${VERSION} for ${config.projectDir}\n`);
    io.stdout.write(`Open ${server.openUrl}\n`);
    io.stdout.write("Press Ctrl+C to stop.\n");
    const isTTY = "isTTY" in io.stdout && io.stdout.isTTY === true;
    if (shouldOpenBrowser(config.open, io.env, isTTY)) {
      const problem = await openBrowser(server.openUrl, io.env);
      if (problem) io.stderr.write(`clustr-ai: ${problem}; open the address above yourself.\n`);
    }
  } catch (error) {
    io.stderr.write(describeError(error));
    process.exitCode = isClustrError(error) && error.code === "bad_request" ? EXIT_USAGE : EXIT_FAILURE;
  }
}

function ignoreBrokenPipe(error: NodeJS.ErrnoException): void {
  if (error.code !== "EPIPE") throw error;
}

function describeError(error: unknown): string {
  if (isClustrError(error)) return `clustr-ai: ${error.message}\n${error.hint ? `  ${error.hint}\n` : ""}`;
  const message = error instanceof Error ? error.message : String(error);
  return `clustr-ai: unexpected error: ${message}\n${error instanceof Error && error.stack ? `${error.stack}\n` : ""}`;
}

interface Shutdown {
  /** Hand over the started server; a signal that came during startup stops it at once. */
  attach(server: RunningServer): void;
}

function installShutdown(io: CliIo): Shutdown {
  let server: RunningServer | undefined;
  let pending: NodeJS.Signals | undefined;
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (!server) {
      pending ??= signal;
      return;
    }
    const running = server;
    if (stopping) {
      // A second Ctrl+C: the user wants out now.
      releaseServerInfo(running.layout.serverInfo, running.info.token);
      process.exit(0);
    }
    stopping = true;
    io.stderr.write(`clustr-ai: ${signal}, shutting down\n`);
    void running
      .close()
      .then((clean) => {
        if (!clean) io.stderr.write("clustr-ai: some connections did not close in time; exiting anyway\n");
      })
      .catch((error: unknown) => io.stderr.write(describeError(error)))
      .finally(() => process.exit(0));
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  // The terminal closing: stop as cleanly as on Ctrl+C rather than die with agents still running.
  process.on("SIGHUP", stop);
  return {
    attach(started) {
      server = started;
      // Last resort for exits that bypass close() (an uncaught error): never leave a live-looking lock.
      process.on("exit", () => releaseServerInfo(started.layout.serverInfo, started.info.token));
      if (pending) stop(pending);
    },
  };
}
