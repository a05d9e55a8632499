import type { FastifyPluginAsync } from "fastify";
import type { Workspace } from "@clustr/core";
import {
  ClustrError,
  InputBodySchema,
  SpawnAgentBodySchema,
  type Agent,
  type AgentListResponse,
  type AgentResponse,
  type ScreenResponse,
} from "@clustr/protocol";

/** Options of the workspace route plugins. */
export interface WorkspaceRoutesOptions {
  workspace: Workspace;
}

interface IdParams {
  id: string;
}

/** The agent named by `:id` (its id or its name), or a 404. */
export function requireAgent(workspace: Workspace, idOrName: string): Agent {
  const agent = workspace.get(idOrName);
  if (!agent) throw new ClustrError("not_found", `no agent '${idOrName}'`);
  return agent;
}

/** `/api/agents`: list, spawn, look at, type into, kill and remove agents. */
export const agentRoutes: FastifyPluginAsync<WorkspaceRoutesOptions> = async (app, { workspace }) => {
  app.get("/api/agents", async (): Promise<AgentListResponse> => ({ agents: workspace.list() }));

  app.post("/api/agents", async (request, reply): Promise<AgentResponse> => {
    const body = SpawnAgentBodySchema.parse(request.body);
    // Answers at once with `starting`; the start runs in the background and shows as events.
    const agent = workspace.spawn(body, { kind: "user" });
    void reply.code(201);
    return { agent };
  });

  app.get<{ Params: IdParams }>("/api/agents/:id", async (request): Promise<AgentResponse> => ({
    agent: requireAgent(workspace, request.params.id),
  }));

  app.post<{ Params: IdParams }>("/api/agents/:id/input", async (request, reply) => {
    const agent = requireAgent(workspace, request.params.id);
    const body = InputBodySchema.parse(request.body);
    await workspace.input(agent.id, body.text, body.submit);
    return reply.code(204).send();
  });

  app.get<{ Params: IdParams }>("/api/agents/:id/screen", async (request): Promise<ScreenResponse> => {
    const agent = requireAgent(workspace, request.params.id);
    return { screen: workspace.screen(agent.id) };
  });

  app.post<{ Params: IdParams }>("/api/agents/:id/kill", async (request): Promise<AgentResponse> => {
    const agent = requireAgent(workspace, request.params.id);
    return { agent: await workspace.kill(agent.id) };
  });

  app.delete<{ Params: IdParams }>("/api/agents/:id", async (request, reply) => {
    const agent = requireAgent(workspace, request.params.id);
    workspace.remove(agent.id);
    return reply.code(204).send();
  });
};
