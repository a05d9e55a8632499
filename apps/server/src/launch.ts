import type { FastifyInstance } from "fastify";
import type { ServerInfo } from "@clustr/protocol";
import { ensureDataDir, type DataDirLayout } from "@clustr/store";
import type { LaunchConfig } from "./args.js";
import { listenOnFreePort } from "./listen.js";
import type { LogOptions } from "./logging.js";
import { assertDataDirFree, claimServerInfo, releaseServerInfo } from "./server-info.js";
import { buildServer, type ServerOptions } from "./server.js";
import { generateToken } from "./token.js";

/** How long shutdown waits for everything to close before it gives up on the stragglers. */
export const SHUTDOWN_TIMEOUT_MS = 5000;

/** A started server, as {@link startServer} returns it. */
export interface RunningServer {
  app: FastifyInstance;
  layout: DataDirLayout;
  info: ServerInfo;
  /** The address to open, with the token: printed once for the user, never logged. */
  openUrl: string;
  /** The port asked for, when it was busy and the server moved to `info.port`. */
  busyPort?: number;
  /**
   * Close everything (at most {@link SHUTDOWN_TIMEOUT_MS}, then give up on what still hangs)
   * and remove `server.json`. Resolves to false when it had to give up. Safe to call twice.
   */
  close(): Promise<boolean>;
}

/** Options of {@link startServer} beyond the launch settings. */
export interface StartOptions {
  logger?: boolean | LogOptions;
  /** Passed to {@link buildServer}. */
  verifyAgentToken?: ServerOptions["verifyAgentToken"];
  dashboardDir?: ServerOptions["dashboardDir"];
}

/**
 * Start a server for `config`: take the data folder (refusing if another server holds it),
 * listen on 127.0.0.1, then write `server.json` with a fresh token.
 */
export async function startServer(config: LaunchConfig, options: StartOptions = {}): Promise<RunningServer> {
  const layout = ensureDataDir(config.dataDir);
  await assertDataDirFree(layout.serverInfo, layout.root);

  const token = generateToken();
  const app = await buildServer({
    token,
    ...(options.logger !== undefined ? { logger: options.logger } : {}),
    ...(options.verifyAgentToken ? { verifyAgentToken: options.verifyAgentToken } : {}),
    ...(options.dashboardDir !== undefined ? { dashboardDir: options.dashboardDir } : {}),
  });

  let info: ServerInfo;
  let busyPort: number | undefined;
  try {
    const bound = await listenOnFreePort(app, config.host, config.port);
    busyPort = bound.busyPort;
    info = { pid: process.pid, port: bound.port, url: `http://127.0.0.1:${bound.port}`, token };
    await claimServerInfo(layout.serverInfo, layout.root, info);
  } catch (error) {
    await app.close();
    throw error;
  }

  let closing: Promise<boolean> | undefined;
  const close = (): Promise<boolean> => {
    closing ??= (async () => {
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), SHUTDOWN_TIMEOUT_MS);
      });
      try {
        return await Promise.race([app.close().then(() => true), timedOut]);
      } finally {
        clearTimeout(timer);
        releaseServerInfo(layout.serverInfo, token);
      }
    })();
    return closing;
  };

  return {
    app,
    layout,
    info,
    openUrl: `${info.url}/?token=${token}`,
    ...(busyPort !== undefined ? { busyPort } : {}),
    close,
  };
}
