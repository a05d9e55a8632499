import type { FastifyPluginAsync } from "fastify";
import { RulesBodySchema, type RulesBody } from "@clustr/protocol";
import type { WorkspaceRoutesOptions } from "./agents.js";

/** `/api/rules`: the shared rules file every agent is given. */
export const rulesRoutes: FastifyPluginAsync<WorkspaceRoutesOptions> = async (app, { workspace }) => {
  app.get("/api/rules", async (): Promise<RulesBody> => ({ content: workspace.getRules() }));

  app.put("/api/rules", async (request): Promise<RulesBody> => {
    const { content } = RulesBodySchema.parse(request.body);
    workspace.setRules(content);
    return { content: workspace.getRules() };
  });
};
