import type { FastifyInstance } from "fastify";
import { createWorkspace, type Workspace } from "@clustr/core";
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
  /** The workspace the server serves; closed (every agent ended) by `close()`. */
  workspace: Workspace;
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
  /** Environment agents inherit (default: this process's). */
  env?: NodeJS.ProcessEnv;
}

/**
 * Start a server for `config`: take the data folder (refusing if another server holds it),
 * open the workspace on it (which marks agents of an earlier run as killed and ends what is left
 * of them), listen on 127.0.0.1, then write `server.json` with a fresh token.
 */
export async function startServer(config: LaunchConfig, options: StartOptions = {}): Promise<RunningServer> {
  const layout = ensureDataDir(config.dataDir);
  await assertDataDirFree(layout.serverInfo, layout.root);

  // Opened only once no other server holds the folder: opening reconciles agents left live
  // by an earlier run, which must never touch a running server's agents.
  const workspace = await createWorkspace({ dataDir: layout.root, maxAgents: config.maxAgents, ...(options.env ? { env: options.env } : {}) });
  const token = generateToken();
  let app: FastifyInstance | undefined;
  let info: ServerInfo;
  let busyPort: number | undefined;
  try {
    app = await buildServer({
      token,
      workspace,
      ...(options.logger !== undefined ? { logger: options.logger } : {}),
      ...(options.verifyAgentToken ? { verifyAgentToken: options.verifyAgentToken } : {}),
      ...(options.dashboardDir !== undefined ? { dashboardDir: options.dashboardDir } : {}),
    });
    const bound = await listenOnFreePort(app, config.host, config.port);
    busyPort = bound.busyPort;
    info = { pid: process.pid, port: bound.port, url: `http://127.0.0.1:${bound.port}`, token };
    // Before anything can spawn: agents' bridges are given this address.
    workspace.setServerUrl(info.url);
    await claimServerInfo(layout.serverInfo, layout.root, info);
  } catch (error) {
    await app?.close();
    await workspace.close();
    throw error;
  }
  const server = app;

  let closing: Promise<boolean> | undefined;
  const close = (): Promise<boolean> => {
    closing ??= (async () => {
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), SHUTDOWN_TIMEOUT_MS);
      });
      try {
        // The app first, so no request starts anything new; then every agent's process group.
        const closed = (async () => {
          await server.close();
          await workspace.close();
          return true;
        })();
        return await Promise.race([closed, timedOut]);
      } finally {
        clearTimeout(timer);
        releaseServerInfo(layout.serverInfo, token);
      }
    })();
    return closing;
  };

  return {
    app: server,
    workspace,
    layout,
    info,
    openUrl: `${info.url}/?token=${token}`,
    ...(busyPort !== undefined ? { busyPort } : {}),
    close,
  };
}
