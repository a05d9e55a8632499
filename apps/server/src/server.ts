import Fastify, { type FastifyInstance } from "fastify";
import type { HealthResponse } from "@clustr/protocol";
import { VERSION } from "./version.js";

export interface ServerOptions {
  /** Log requests (never with query strings or cookies). */
  logger?: boolean;
}

/** Build the Fastify app. Listening is the caller's business (the launcher, or `inject` in tests). */
export async function buildServer(options: ServerOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({ logger: options.logger ?? false });
  app.get("/api/health", async (): Promise<HealthResponse> => ({ ok: true, version: VERSION }));
  return app;
}
