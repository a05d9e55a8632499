import type { FastifyPluginAsync } from "fastify";
import {
  ClustrError,
  ContextKeyParamSchema,
  PutContextBodySchema,
  type ContextEntryResponse,
  type ContextListResponse,
} from "@clustr/protocol";
import type { WorkspaceRoutesOptions } from "./agents.js";

/** `/api/context`: the shared key-value notes, with optimistic versions. */
export const contextRoutes: FastifyPluginAsync<WorkspaceRoutesOptions> = async (app, { workspace }) => {
  app.get("/api/context", async (): Promise<ContextListResponse> => ({ entries: workspace.listContext() }));

  app.get("/api/context/:key", async (request): Promise<ContextEntryResponse> => {
    const { key } = ContextKeyParamSchema.parse(request.params);
    const entry = workspace.getContext(key);
    if (!entry) throw new ClustrError("not_found", `no context entry '${key}'`);
    return { entry };
  });

  app.put("/api/context/:key", async (request): Promise<ContextEntryResponse> => {
    const { key } = ContextKeyParamSchema.parse(request.params);
    const body = PutContextBodySchema.parse(request.body);
    // A stale `version` is a version_conflict (409), never a silent overwrite.
    return { entry: workspace.setContext(key, body.value, body.version, { kind: "user" }) };
  });

  app.delete("/api/context/:key", async (request, reply) => {
    const { key } = ContextKeyParamSchema.parse(request.params);
    if (!workspace.deleteContext(key)) throw new ClustrError("not_found", `no context entry '${key}'`);
    return reply.code(204).send();
  });
};
