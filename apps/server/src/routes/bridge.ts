import type { FastifyPluginAsync, FastifyReply } from "fastify";
import type { Caller, Workspace } from "@clustr/core";
import {
  BridgeHelloBodySchema,
  BridgeToolInputSchemas,
  ClustrError,
  type BridgeToolInput,
  type BridgeToolName,
  type BridgeToolResult,
} from "@clustr/protocol";
import { agentIdOf } from "../security.js";
import { requireAgent, type WorkspaceRoutesOptions } from "./agents.js";

type ToolHandler<T extends BridgeToolName> = (input: BridgeToolInput<T>, caller: Caller & { kind: "agent" }, signal: AbortSignal) => BridgeToolResult<T> | Promise<BridgeToolResult<T>>;
type ToolHandlers = { [T in BridgeToolName]: ToolHandler<T> };

/**
 * Each bridge tool as a workspace call. The caller is always the agent whose token came with
 * the request: no tool argument can name another one.
 */
function toolHandlers(workspace: Workspace): ToolHandlers {
  return {
    send_message: async ({ to, body }, caller) => ({ messages: await workspace.sendMessage(to, body, caller) }),
    read_messages: (_input, caller) => ({ messages: workspace.readMessages(caller.agentId) }),
    wait_for_message: async ({ timeout_s }, caller, signal) => ({ messages: await workspace.waitForMessage(caller.agentId, timeout_s, signal) }),
    list_agents: () => ({ agents: workspace.list() }),
    get_context: ({ key }) => ({ entry: workspace.getContext(key) ?? null }),
    set_context: ({ key, value, version }, caller) => ({ entry: workspace.setContext(key, value, version, caller) }),
    list_context: () => ({ entries: workspace.listContext() }),
    delete_context: ({ key }) => ({ deleted: workspace.deleteContext(key) }),
    spawn_agent: ({ name, kind, task, cwd }, caller) => {
      const parent = requireAgent(workspace, caller.agentId);
      return { agent: workspace.spawn({ name, kind, task, cwd: cwd ?? parent.cwd }, caller) };
    },
    get_rules: () => ({ content: workspace.getRules() }),
  };
}

function isToolName(name: string): name is BridgeToolName {
  return Object.hasOwn(BridgeToolInputSchemas, name);
}

/** An abort signal that fires when the client goes away before the answer is sent. */
function disconnectSignal(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  reply.raw.once("close", () => {
    if (!reply.raw.writableFinished) controller.abort();
  });
  return controller.signal;
}

/**
 * `/api/bridge/*`: the calls of each agent's bridge. The security layer has already turned the
 * agent's own token into `request.principal`; these routes take the identity from there only.
 */
export const bridgeRoutes: FastifyPluginAsync<WorkspaceRoutesOptions> = async (app, { workspace }) => {
  const handlers = toolHandlers(workspace);

  app.post("/api/bridge/hello", async (request, reply) => {
    BridgeHelloBodySchema.parse(request.body ?? {});
    workspace.bridgeHello(agentIdOf(request));
    return reply.code(204).send();
  });

  app.post("/api/bridge/ready", async (request, reply) => {
    workspace.bridgeReady(agentIdOf(request));
    return reply.code(204).send();
  });

  app.post("/api/bridge/heartbeat", async (request, reply) => {
    workspace.heartbeat(agentIdOf(request));
    return reply.code(204).send();
  });

  app.post<{ Params: { name: string } }>("/api/bridge/tools/:name", async (request, reply) => {
    const caller = { kind: "agent", agentId: agentIdOf(request) } as const;
    const name = request.params.name;
    if (!isToolName(name)) throw new ClustrError("not_found", `no tool '${name}'`);
    const input = BridgeToolInputSchemas[name].parse(request.body ?? {});
    const handler = handlers[name] as ToolHandler<typeof name>;
    const result = await handler(input as BridgeToolInput<typeof name>, caller, disconnectSignal(reply));
    return { result };
  });
};
