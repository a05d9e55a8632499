import Fastify, { type FastifyInstance } from "fastify";
import fastifyWebsocket from "@fastify/websocket";
import type { Workspace } from "@clustr/core";
import { LIMITS, type HealthResponse } from "@clustr/protocol";
import { findDashboardDir, registerDashboard } from "./dashboard.js";
import { installErrorHandler } from "./error-handler.js";
import { loggerOptions, type LogOptions } from "./logging.js";
import { registerWorkspaceRoutes } from "./routes/index.js";
import { registerSecurity, type VerifyAgentToken } from "./security.js";
import { generateToken } from "./token.js";
import { VERSION } from "./version.js";

/** Options of {@link buildServer}. */
export interface ServerOptions {
  /** The access token every route but health requires; a fresh random one when omitted. */
  token?: string;
  /**
   * The port clients name in `Host` and in the cookie's name. Defaults to the port the server
   * listens on; give it for `inject`, which does not listen.
   */
  port?: number;
  /**
   * Authenticates `/api/bridge/*` calls by an agent's own token. Defaults to the workspace's
   * live agents' tokens when a `workspace` is given.
   */
  verifyAgentToken?: VerifyAgentToken;
  /** The workspace the REST, WebSocket and bridge routes serve. Without it only health and the dashboard answer. */
  workspace?: Workspace;
  /**
   * The dashboard's static build folder; `null` serves the placeholder page. By default the
   * build shipped in `dist/dashboard`, or the checkout's `apps/dashboard/build`.
   */
  dashboardDir?: string | null;
  /** Log requests (never with query strings, cookies or headers). Off by default. */
  logger?: boolean | LogOptions;
  /**
   * Routes to add behind the security layer (they get the same Host, Origin and token checks,
   * WebSocket routes included: `@fastify/websocket` is registered first).
   */
  routes?: (app: FastifyInstance) => void | Promise<void>;
  /**
   * How long a terminal socket whose client acknowledges output may leave output waiting
   * without a further acknowledgement before it is closed with `4008` (default 30 s).
   */
  terminalAckStallMs?: number;
}

/** Build the Fastify app. Listening is the caller's business (the launcher, or `inject` in tests). */
export async function buildServer(options: ServerOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: loggerOptions(options.logger),
    bodyLimit: LIMITS.bodyMaxBytes,
    // Context keys travel in the path (`/api/context/:key`, up to 256 characters, percent-encoded).
    routerOptions: { maxParamLength: LIMITS.contextKeyMaxChars * 12 },
    // Keep-alive sockets would otherwise hold `close()` open until they time out.
    forceCloseConnections: true,
  });
  installErrorHandler(app);
  await app.register(fastifyWebsocket, { options: { maxPayload: LIMITS.bodyMaxBytes } });
  const workspace = options.workspace;
  const verifyAgentToken = options.verifyAgentToken ?? (workspace ? (token: string) => workspace.agentForToken(token)?.id ?? null : undefined);
  registerSecurity(app, {
    token: options.token ?? generateToken(),
    ...(options.port !== undefined ? { port: options.port } : {}),
    ...(verifyAgentToken ? { verifyAgentToken } : {}),
  });
  app.get("/api/health", async (): Promise<HealthResponse> => ({ ok: true, version: VERSION }));
  if (workspace) await app.register(async (scope) => registerWorkspaceRoutes(scope, workspace, { terminalAckStallMs: options.terminalAckStallMs }));
  if (options.routes) await app.register(async (scope) => options.routes?.(scope));
  await registerDashboard(app, options.dashboardDir === undefined ? findDashboardDir() : options.dashboardDir);
  return app;
}
