import { z } from "zod";
import {
  AgentKindSchema,
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
