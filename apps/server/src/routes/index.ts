import type { FastifyInstance } from "fastify";
import type { Workspace } from "@clustr/core";
import { agentRoutes } from "./agents.js";
import { bridgeRoutes } from "./bridge.js";
import { checkpointRoutes } from "./checkpoints.js";
import { contextRoutes } from "./context.js";
import { eventsSocket } from "./events-socket.js";
import { fileRoutes } from "./files.js";
import { imageRoutes } from "./images.js";
import { messageRoutes } from "./messages.js";
import { rulesRoutes } from "./rules.js";
import { terminalSocket } from "./terminal-socket.js";

/** Tunables of the workspace routes (defaults fit a user's machine). */
export interface WorkspaceRouteTunables {
  /** How long a terminal socket waits for a client's acknowledgements before closing it (30 s). */
  terminalAckStallMs?: number;
}

/** Add every route of DESIGN.md "HTTP and WebSocket API" over `workspace` to `app`. */
export async function registerWorkspaceRoutes(app: FastifyInstance, workspace: Workspace, tunables: WorkspaceRouteTunables = {}): Promise<void> {
  const options = { workspace };
  await app.register(agentRoutes, options);
  await app.register(checkpointRoutes, options);
  await app.register(messageRoutes, options);
  await app.register(contextRoutes, options);
  await app.register(fileRoutes, options);
  await app.register(rulesRoutes, options);
  await app.register(imageRoutes, options);
  await app.register(eventsSocket, options);
  await app.register(terminalSocket, { ...options, ackStallMs: tunables.terminalAckStallMs });
  await app.register(bridgeRoutes, options);
}

export { CLOSE_CODES } from "./close-codes.js";
export { EVENTS_MAX_BUFFERED_BYTES } from "./events-socket.js";
