import { isContextText, type ModelAction, type OfferedTool, type TurnView } from "./model-script.js";

/** Reduce an Anthropic Messages request body to a {@link TurnView}. */
export function anthropicView(body: Record<string, unknown>): TurnView {
  const system: string[] = [];
  collectText(body["system"], system);
  const tools: OfferedTool[] = [];
  for (const tool of asArray(body["tools"])) {
    const name = asRecord(tool)["name"];
    if (typeof name === "string") tools.push({ name, callName: name });
  }
  const userTexts: string[] = [];
  const toolResults: TurnView["toolResults"] = [];
  let callsSinceUserText: string[] = [];
  let resultsSinceUserText: TurnView["resultsSinceUserText"] = [];
  const callNames = new Map<string, string>();
  for (const message of asArray(body["messages"])) {
    const m = asRecord(message);
    const content = typeof m["content"] === "string" ? [{ type: "text", text: m["content"] }] : asArray(m["content"]);
    if (m["role"] === "system") {
      collectText(content, system);
    } else if (m["role"] === "user") {
      const texts: string[] = [];
      for (const block of content.map(asRecord)) {
        if (block["type"] === "text" && typeof block["text"] === "string") {
          // Taken as sent: a task the CLI wrapped (Claude 2.1.330's <pasted_content>) is not the task.
          const text = block["text"];
          if (!isContextText(text)) texts.push(text);
        }
        if (block["type"] === "tool_result") {
          const parts: string[] = [];
          collectText(block["content"], parts);
          const callId = String(block["tool_use_id"]);
          toolResults.push({ callId, output: parts.join("\n") });
          resultsSinceUserText.push({ name: callNames.get(callId) ?? "", output: parts.join("\n") });
        }
      }
      // Text riding along with tool results ("Tool loaded.") belongs to the tool step, not a new user turn.
      const hasToolResult = content.some((block) => asRecord(block)["type"] === "tool_result");
      if (texts.length > 0 && !hasToolResult) {
        userTexts.push(texts.join("\n"));
        callsSinceUserText = [];
        resultsSinceUserText = [];
      }
    } else if (m["role"] === "assistant") {
      for (const block of content.map(asRecord)) {
        if (block["type"] === "tool_use" && typeof block["name"] === "string") {
          callsSinceUserText.push(block["name"]);
          callNames.set(String(block["id"]), block["name"]);
        }
      }
    }
  }
  return { system: system.join("\n"), tools, userTexts, callsSinceUserText, toolResults, resultsSinceUserText };
}

/** The Messages API events of one reply, in order, as `[event name, data]` pairs. */
export function anthropicEvents(action: ModelAction, model: string, id: string): [string, Record<string, unknown>][] {
  const usage = { input_tokens: 1, output_tokens: 1, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };
  const events: [string, Record<string, unknown>][] = [
    [
      "message_start",
      {
        type: "message_start",
        message: { id, type: "message", role: "assistant", model, content: [], stop_reason: null, stop_sequence: null, usage },
      },
    ],
  ];
  if (action.kind === "text") {
    events.push(["content_block_start", { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } }]);
    events.push(["content_block_delta", { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: action.text } }]);
  } else {
    events.push([
      "content_block_start",
      { type: "content_block_start", index: 0, content_block: { type: "tool_use", id: `toolu_${id}`, name: action.tool.callName, input: {} } },
    ]);
    events.push([
      "content_block_delta",
      { type: "content_block_delta", index: 0, delta: { type: "input_json_delta", partial_json: JSON.stringify(action.input) } },
    ]);
  }
  events.push(["content_block_stop", { type: "content_block_stop", index: 0 }]);
  events.push([
    "message_delta",
    {
      type: "message_delta",
      delta: { stop_reason: action.kind === "text" ? "end_turn" : "tool_use", stop_sequence: null },
      usage: { output_tokens: 1 },
    },
  ]);
  events.push(["message_stop", { type: "message_stop" }]);
  return events;
}

/** The same reply as one non-streamed Messages API response. */
export function anthropicMessage(action: ModelAction, model: string, id: string): Record<string, unknown> {
  const content =
    action.kind === "text"
      ? [{ type: "text", text: action.text }]
      : [{ type: "tool_use", id: `toolu_${id}`, name: action.tool.callName, input: action.input }];
  return {
    id,
    type: "message",
    role: "assistant",
    model,
    content,
    stop_reason: action.kind === "text" ? "end_turn" : "tool_use",
    stop_sequence: null,
    usage: { input_tokens: 1, output_tokens: 1 },
  };
}

/** Collect every `text` found in a string, a content block or an array of them. */
export function collectText(value: unknown, into: string[]): void {
  if (typeof value === "string") {
    into.push(value);
  } else if (Array.isArray(value)) {
    for (const item of value) collectText(item, into);
  } else if (typeof value === "object" && value !== null) {
    const text = (value as Record<string, unknown>)["text"];
    if (typeof text === "string") into.push(text);
  }
}

/** The value as an array, or an empty one. */
export function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** The value as a plain record, or an empty one. */
export function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}
