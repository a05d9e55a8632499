/**
 * The scripted "model": it reads the latest user text of a request and acts on `CALL` lines in
 * it, so an end-to-end test states what the model should do in the task itself.
 */

/** A tool call the script asks for, by the bare tool name (`send_message`). */
export interface ScriptedToolCall {
  tool: string;
  input: Record<string, unknown>;
}

/** A reply a test pushes ahead of the script: plain text, or one call of a tool by bare name. */
export type ScriptedReply = { text: string } | ScriptedToolCall;

/** A tool the CLI offered in a request, in the API-neutral form the script works with. */
export interface OfferedTool {
  /** The full name the CLI shows to users: `mcp__clustr__send_message` (Codex: namespace + `__` + name). */
  name: string;
  /** The name to answer with in a call. */
  callName: string;
  /** Codex only: the namespace to answer with (`mcp__clustr`). */
  namespace?: string;
}

/** One request of a conversation, reduced to what the script and the tests look at. */
export interface TurnView {
  /** The system prompt (Anthropic `system` and `role: "system"` entries; OpenAI `instructions` and developer messages). */
  system: string;
  /** Every tool offered, flattened. */
  tools: OfferedTool[];
  /** The user-authored texts, one per user message, in order (context blocks the CLI adds are left out). */
  userTexts: string[];
  /** Tool calls the assistant made after the latest user text, by full name, in order. */
  callsSinceUserText: string[];
  /** Tool results in the request, in order. */
  toolResults: { callId: string; output: string }[];
  /** Results of the calls made after the latest user text, with the full name of the tool called, in order. */
  resultsSinceUserText: { name: string; output: string }[];
}

/** What the fake model answers to one request. */
export type ModelAction =
  | { kind: "text"; text: string }
  | { kind: "tool"; tool: OfferedTool; input: Record<string, unknown> };

/** The text the model ends a scripted turn with. */
export const DONE_TEXT = "DONE";

/** The name of Claude Code's deferred-tool loader (2.1.330 hides MCP tools behind it). */
const TOOL_SEARCH = "ToolSearch";

const CALL_LINE = /^\s*CALL\s+(\S+)\s*(.*)$/;

/** The one-line notice Clustr types into an agent when a message waits for it (DESIGN.md "Messages"). */
const MESSAGE_NOTICE = /^\[clustr\] message #\d+ from /;
const READ_MESSAGES = "read_messages";

/**
 * Parse `CALL <tool> <json>` lines (the JSON object may be left out: `{}`). A line whose JSON
 * is not an object is reported in `errors` rather than thrown: the model then says so in text,
 * which a test sees, instead of the server failing the CLI's request.
 */
export function parseCallLines(text: string): { calls: ScriptedToolCall[]; errors: string[] } {
  const calls: ScriptedToolCall[] = [];
  const errors: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    const match = CALL_LINE.exec(line);
    if (!match) continue;
    const tool = match[1] ?? "";
    const raw = (match[2] ?? "").trim() || "{}";
    try {
      const input: unknown = JSON.parse(raw);
      if (typeof input !== "object" || input === null || Array.isArray(input)) {
        errors.push(`CALL ${tool}: arguments must be a JSON object`);
      } else {
        calls.push({ tool, input: input as Record<string, unknown> });
      }
    } catch (error) {
      errors.push(`CALL ${tool}: ${(error as Error).message}`);
    }
  }
  return { calls, errors };
}

/**
 * The offered tool a bare or full name refers to: exact name first, then the clustr server's
 * (`mcp__clustr__<name>`: Codex 0.169 also offers a built-in `multi_agent_v1` `spawn_agent`),
 * then any `…__<name>`.
 */
export function findOfferedTool(tools: readonly OfferedTool[], tool: string): OfferedTool | undefined {
  return (
    tools.find((t) => t.name === tool) ??
    tools.find((t) => t.name === `mcp__clustr__${tool}`) ??
    tools.find((t) => t.name.endsWith(`__${tool}`))
  );
}

/**
 * Decide the reply to one conversation request: a pushed reply when there is one, else the next
 * `CALL` of the latest user text that has not been made yet, else {@link DONE_TEXT}.
 * `rawRequest` is the request body as text, searched for the full name of a deferred tool.
 */
export function decideAction(view: TurnView, pushed: ScriptedReply | undefined, rawRequest: string): ModelAction {
  if (pushed !== undefined) {
    return "text" in pushed ? { kind: "text", text: pushed.text } : callAction(view, pushed, rawRequest);
  }
  const latest = view.userTexts.at(-1);
  if (latest === undefined) return { kind: "text", text: DONE_TEXT };
  const { calls, errors } = MESSAGE_NOTICE.test(latest) ? noticeScript(view) : parseCallLines(latest);
  if (errors.length > 0) return { kind: "text", text: `SCRIPT ERROR\n${errors.join("\n")}` };
  const made = view.callsSinceUserText.filter((name) => name !== TOOL_SEARCH).length;
  const next = calls[made];
  return next === undefined ? { kind: "text", text: DONE_TEXT } : callAction(view, next, rawRequest);
}

/**
 * What a Clustr message notice asks of the model: call `read_messages`, then act on the `CALL`
 * lines of the messages it returned, as a model doing what its messages ask would.
 */
function noticeScript(view: TurnView): { calls: ScriptedToolCall[]; errors: string[] } {
  const calls: ScriptedToolCall[] = [{ tool: READ_MESSAGES, input: {} }];
  const errors: string[] = [];
  for (const result of view.resultsSinceUserText) {
    if (result.name !== READ_MESSAGES && !result.name.endsWith(`__${READ_MESSAGES}`)) continue;
    for (const body of messageBodies(result.output)) {
      const parsed = parseCallLines(body);
      calls.push(...parsed.calls);
      errors.push(...parsed.errors);
    }
  }
  return { calls, errors };
}

/**
 * The bodies of the messages in a `read_messages` result (`{messages: [{body}]}` as JSON text,
 * which Codex prefixes with `Wall time: …\nOutput:\n`); none when it is not that.
 */
function messageBodies(output: string): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(output.slice(Math.max(0, output.indexOf("{"))));
  } catch {
    return [];
  }
  const messages = typeof parsed === "object" && parsed !== null ? (parsed as { messages?: unknown }).messages : undefined;
  if (!Array.isArray(messages)) return [];
  return messages.flatMap((m: unknown) => {
    const body = typeof m === "object" && m !== null ? (m as { body?: unknown }).body : undefined;
    return typeof body === "string" ? [body] : [];
  });
}

function callAction(view: TurnView, call: ScriptedToolCall, rawRequest: string): ModelAction {
  const tool = findOfferedTool(view.tools, call.tool);
  if (tool) return { kind: "tool", tool, input: call.input };
  // Claude Code 2.1.330 lists MCP tools by name only and loads one when the model asks for it.
  const search = findOfferedTool(view.tools, TOOL_SEARCH);
  const deferred = deferredToolName(rawRequest, call.tool);
  if (search && deferred) return { kind: "tool", tool: search, input: { query: `select:${deferred}`, max_results: 1 } };
  return { kind: "text", text: `SCRIPT ERROR\ntool ${call.tool} was not offered` };
}

function deferredToolName(rawRequest: string, tool: string): string | undefined {
  if (tool.startsWith("mcp__")) return tool;
  const escaped = tool.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`mcp__[A-Za-z0-9_-]+?__${escaped}\\b`).exec(rawRequest)?.[0];
}

/**
 * True for texts a CLI adds around the user's words (`<system-reminder>…`,
 * `<environment_context>…`, `# AGENTS.md instructions…`): they are context, not the user's turn.
 */
export function isContextText(text: string): boolean {
  const t = text.trimStart();
  return /^<[A-Za-z_-]+[\s>]/.test(t) || t.startsWith("# AGENTS.md instructions") || t.startsWith("Caveat:");
}
