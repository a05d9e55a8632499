import type { FastifyInstance } from "fastify";
import { ClustrError, SendMessageBodySchema } from "@clustr/protocol";
import { agentIdOf, buildServer, type ServerOptions } from "../src/index.js";

export const TOKEN = "test-token-0123456789abcdefghijklmnop";
export const AGENT_TOKEN = "agent-token-of-agent-1-0123456789";
export const PORT = 4321;
export const HOST = `127.0.0.1:${PORT}`;

/**
 * Routes the security tests reach through the real stack: they report who the caller was, take
 * a body, throw each kind of error, and open a WebSocket like the future /api/events.
 */
export function testRoutes(app: FastifyInstance): void {
  app.get("/api/whoami", async (request) => ({ principal: request.principal }));
  app.post("/api/echo", async (request) => ({ size: JSON.stringify(request.body).length }));
  app.post("/api/messages-check", async (request) => SendMessageBodySchema.parse(request.body));
  app.get("/api/conflict", async () => {
    throw new ClustrError("name_taken", "an agent named lead is already running");
  });
  app.get("/api/crash", async () => {
    throw new Error("secret internal detail");
  });
  app.get("/api/bridge/whoami", async (request) => ({ principal: request.principal, agentId: agentIdOf(request) }));
  app.get("/api/misplaced-bridge-route", async (request) => ({ agentId: agentIdOf(request) }));
  app.get("/api/events", { websocket: true }, (socket) => {
    socket.send(JSON.stringify({ hello: "events" }));
  });
}

/** A server with the test routes, for `inject`. */
export function buildTestServer(overrides: ServerOptions = {}): Promise<FastifyInstance> {
  return buildServer({
    token: TOKEN,
    port: PORT,
    dashboardDir: null,
    verifyAgentToken: (token) => (token === AGENT_TOKEN ? "agent-1" : null),
    routes: testRoutes,
    ...overrides,
  });
}
