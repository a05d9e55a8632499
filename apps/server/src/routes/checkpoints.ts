import type { FastifyPluginAsync } from "fastify";
import { RollbackBodySchema, type DiffResponse, type RollbackResponse } from "@clustr/protocol";
import { requireAgent, type WorkspaceRoutesOptions } from "./agents.js";

/** `/api/agents/:id/diff` and `/rollback`: what an agent changed since its checkpoint, and undoing it. */
export const checkpointRoutes: FastifyPluginAsync<WorkspaceRoutesOptions> = async (app, { workspace }) => {
  app.get<{ Params: { id: string } }>("/api/agents/:id/diff", async (request): Promise<DiffResponse> => {
    const agent = requireAgent(workspace, request.params.id);
    return { files: await workspace.diff(agent.id) };
  });

  app.post<{ Params: { id: string } }>("/api/agents/:id/rollback", async (request): Promise<RollbackResponse> => {
    const agent = requireAgent(workspace, request.params.id);
    // An empty body means "roll back everything"; the schema refuses unknown fields.
    const body = RollbackBodySchema.parse(request.body ?? {});
    return workspace.rollback(agent.id, body);
  });
};
