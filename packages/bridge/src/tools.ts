import { BRIDGE_TOOL_NAMES, BridgeToolInputSchemas, LIMITS, type BridgeToolName } from "@clustr/protocol";

/** A tool as the MCP client sees it in `tools/list`. */
export interface BridgeToolDefinition {
  name: BridgeToolName;
  title: string;
  description: string;
  inputSchema: { type: "object"; properties?: Record<string, object>; required?: string[]; [key: string]: unknown };
  annotations: { readOnlyHint: boolean; destructiveHint: boolean; idempotentHint: boolean; openWorldHint: boolean };
}

interface ToolText {
  title: string;
  description: string;
  /** Descriptions of the input fields: a model reads these to fill them in. */
  fields: Record<string, string>;
  readOnly: boolean;
  destructive?: boolean;
  idempotent?: boolean;
}

const TEXT: Record<BridgeToolName, ToolText> = {
  send_message: {
    title: "Send a message",
    description:
      "Send a message to another agent of this Clustr workspace, or to every other agent with to=\"*\". " +
      "The recipient sees a one-line notice when it is idle and reads the message with read_messages. " +
      "Returns the stored message(s).",
    fields: {
      to: "Recipient: an agent name or id (see list_agents), or \"*\" for every agent that has not ended except you.",
      body: `The message text (at most ${LIMITS.messageBodyMaxBytes} bytes of UTF-8).`,
    },
    readOnly: false,
  },
  read_messages: {
    title: "Read messages",
    description:
      "Return your unread messages (oldest first) and mark them read. `from` is the sender's agent id, or null when the user wrote it. " +
      "Call it when you see a \"[clustr] message #N from ...\" notice.",
    fields: {},
    readOnly: false,
  },
  wait_for_message: {
    title: "Wait for a message",
    description:
      "Block until a message for you arrives (or timeout_s passes), then return it and mark it read like read_messages. " +
      "An empty list means the time passed with no message. Use it to wait for another agent's answer instead of polling.",
    fields: {
      timeout_s: `How long to wait, in seconds (0 to ${LIMITS.waitForMessageMaxSeconds}; default 30).`,
    },
    readOnly: false,
  },
  list_agents: {
    title: "List agents",
    description:
      "List the agents of this workspace with their id, name, kind, status (starting, running, done, failed, killed), " +
      "activity (busy, idle, needs-input), folder, task and parent.",
    fields: {},
    readOnly: true,
    idempotent: true,
  },
  get_context: {
    title: "Get a context entry",
    description:
      "Read one entry of the workspace's shared key-value notes. Returns {entry: {key, value, author, version, updatedAt}}, " +
      "or {entry: null} when the key does not exist. Pass the version to set_context to update it safely.",
    fields: { key: "The key to read." },
    readOnly: true,
    idempotent: true,
  },
  set_context: {
    title: "Set a context entry",
    description:
      "Create or replace an entry of the shared key-value notes every agent can read. Pass the version you read " +
      "(get_context) to refuse the write if someone changed the entry since: a stale version is a conflict, not an overwrite.",
    fields: {
      key: `The key (1 to ${LIMITS.contextKeyMaxChars} characters, no whitespace or control characters).`,
      value: `The text to store (at most ${LIMITS.contextValueMaxBytes} bytes of UTF-8).`,
      version: "Optional: the version you read; the write fails with a conflict if the entry has changed since.",
    },
    readOnly: false,
    idempotent: true,
  },
  list_context: {
    title: "List context entries",
    description: "List every entry of the workspace's shared key-value notes with its value, author, version and time.",
    fields: {},
    readOnly: true,
    idempotent: true,
  },
  delete_context: {
    title: "Delete a context entry",
    description: "Delete an entry of the shared key-value notes. Returns {deleted: false} when the key did not exist.",
    fields: { key: "The key to delete." },
    readOnly: false,
    destructive: true,
    idempotent: true,
  },
  spawn_agent: {
    title: "Spawn an agent",
    description:
      "Start a helper agent in its own terminal with a task. It starts in the background (status \"starting\"); " +
      "message it with send_message and follow it with list_agents. It inherits your permission mode, works inside " +
      "your folder, and the workspace limits the number of live agents and the spawn depth.",
    fields: {
      name: `A name unique among agents that have not ended (letters, digits, '-', '_'; at most ${LIMITS.agentNameMaxChars}).`,
      kind: "Which CLI runs it: \"claude\" (Claude Code), \"codex\" (Codex CLI) or \"command\".",
      task: `Its first instruction, given verbatim (at most ${LIMITS.taskMaxBytes} bytes).`,
      cwd: "Optional absolute folder to work in, inside your own folder; defaults to your folder.",
    },
    readOnly: false,
  },
  get_rules: {
    title: "Get the rules",
    description:
      "Return the workspace's shared rules file, which every agent follows. Call it again when you see \"[clustr] rules updated\".",
    fields: {},
    readOnly: true,
    idempotent: true,
  },
};

/** One-paragraph guide sent to the client as the server's instructions. */
export const BRIDGE_INSTRUCTIONS =
  "Tools to work with the other agents of this Clustr workspace: message them (send_message, read_messages, " +
  "wait_for_message), see who is there (list_agents), share notes (get_context, set_context, list_context, " +
  "delete_context), start helpers (spawn_agent) and read the shared rules (get_rules). Your identity is fixed by " +
  "the workspace; you never pass it.";

function inputSchemaOf(name: BridgeToolName): BridgeToolDefinition["inputSchema"] {
  // draft-07 is what the SDK's own server emits and what every MCP client accepts; "input" keeps
  // fields with defaults (timeout_s) optional.
  const schema = BridgeToolInputSchemas[name].toJSONSchema({ target: "draft-07", io: "input" }) as BridgeToolDefinition["inputSchema"];
  delete schema.$schema;
  const properties = (schema.properties ?? {}) as Record<string, Record<string, unknown>>;
  for (const [field, description] of Object.entries(TEXT[name].fields)) {
    const property = properties[field];
    if (!property) throw new Error(`${name}: no input field ${field} to describe`);
    property.description = description;
  }
  return { ...schema, type: "object", properties };
}

/** The ten tools with their JSON input schemas, generated from the protocol's zod schemas. */
export function bridgeToolDefinitions(): BridgeToolDefinition[] {
  return BRIDGE_TOOL_NAMES.map((name) => {
    const text = TEXT[name];
    return {
      name,
      title: text.title,
      description: text.description,
      inputSchema: inputSchemaOf(name),
      annotations: {
        readOnlyHint: text.readOnly,
        destructiveHint: text.destructive ?? false,
        idempotentHint: text.idempotent ?? false,
        openWorldHint: false,
      },
    };
  });
}

/** True for the name of one of the bridge's tools. */
export function isBridgeToolName(name: string): name is BridgeToolName {
  return (BRIDGE_TOOL_NAMES as readonly string[]).includes(name);
}
