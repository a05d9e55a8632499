import { z } from "zod";
import {
  AgentKindSchema,
  AgentSchema,
  ContextEntrySchema,
  MessageSchema,
  AgentNameSchema,
  AbsolutePathSchema,
  ContextKeySchema,
  ContextValueSchema,
  MessageBodyTextSchema,
  TaskSchema,
  VersionSchema,
} from "./entities.js";
import { RecipientSchema } from "./api.js";
import { LIMITS } from "./limits.js";

/** Inputs of the bridge's MCP tools, by tool name. The names are a contract. */
export const BridgeToolInputSchemas = {
  send_message: z.strictObject({ to: RecipientSchema, body: MessageBodyTextSchema }),
  read_messages: z.strictObject({}),
  wait_for_message: z.strictObject({
    timeout_s: z.number().min(0).max(LIMITS.waitForMessageMaxSeconds).default(30),
  }),
  list_agents: z.strictObject({}),
  get_context: z.strictObject({ key: ContextKeySchema }),
  set_context: z.strictObject({ key: ContextKeySchema, value: ContextValueSchema, version: VersionSchema.optional() }),
  list_context: z.strictObject({}),
  delete_context: z.strictObject({ key: ContextKeySchema }),
  spawn_agent: z.strictObject({
    name: AgentNameSchema,
    kind: AgentKindSchema,
    task: TaskSchema,
    cwd: AbsolutePathSchema.optional(),
  }),
  get_rules: z.strictObject({}),
} as const;

export type BridgeToolName = keyof typeof BridgeToolInputSchemas;
export const BRIDGE_TOOL_NAMES = Object.keys(BridgeToolInputSchemas) as BridgeToolName[];
export type BridgeToolInput<T extends BridgeToolName> = z.infer<(typeof BridgeToolInputSchemas)[T]>;

/** The MCP server name under which the CLI sees the tools (`mcp__clustr__send_message`). */
export const BRIDGE_SERVER_NAME = "clustr";

/** Environment a bridge (and a command agent) gets. The token itself never goes in argv. */
export const BRIDGE_ENV = {
  url: "CLUSTR_URL",
  agentId: "CLUSTR_AGENT_ID",
  token: "CLUSTR_AGENT_TOKEN",
  tokenFile: "CLUSTR_AGENT_TOKEN_FILE",
  mcpConfig: "CLUSTR_MCP_CONFIG",
} as const;

/** How often the bridge sends a heartbeat, and how long silence ends an agent (default). */
export const HEARTBEAT_INTERVAL_MS = 15_000;
export const HEARTBEAT_TIMEOUT_MS = 60_000;

// ---- the bridge's HTTP calls (`/api/bridge/*`, authenticated by the agent's own token) -------

/**
 * Routes the bridge calls. `hello` when it starts (the agent's bridge is connected from then
 * on and heartbeats are expected), `ready` once it has answered the CLI's first `tools/list`,
 * `heartbeat` every {@link HEARTBEAT_INTERVAL_MS}, and `tools/<name>` for each tool call with the
 * tool's input as the body.
 */
export const BRIDGE_ROUTES = {
  hello: "/api/bridge/hello",
  ready: "/api/bridge/ready",
  heartbeat: "/api/bridge/heartbeat",
  tool: (name: BridgeToolName) => `/api/bridge/tools/${name}`,
} as const;

export const BridgeHelloBodySchema = z.strictObject({ pid: z.int().positive().optional() });
export type BridgeHelloBody = z.infer<typeof BridgeHelloBodySchema>;

/** Results of the bridge's tool routes, by tool name (`{result}` is the response body). */
export const BridgeToolResultSchemas = {
  send_message: z.object({ messages: z.array(MessageSchema) }),
  read_messages: z.object({ messages: z.array(MessageSchema) }),
  /** Empty when the timeout passed with no message. */
  wait_for_message: z.object({ messages: z.array(MessageSchema) }),
  list_agents: z.object({ agents: z.array(AgentSchema) }),
  get_context: z.object({ entry: ContextEntrySchema.nullable() }),
  set_context: z.object({ entry: ContextEntrySchema }),
  list_context: z.object({ entries: z.array(ContextEntrySchema) }),
  delete_context: z.object({ deleted: z.boolean() }),
  spawn_agent: z.object({ agent: AgentSchema }),
  get_rules: z.object({ content: z.string() }),
} as const satisfies Record<BridgeToolName, z.ZodType>;
export type BridgeToolResult<T extends BridgeToolName> = z.infer<(typeof BridgeToolResultSchemas)[T]>;
