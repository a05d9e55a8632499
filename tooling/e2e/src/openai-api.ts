import { asArray, asRecord, collectText } from "./anthropic-api.js";
import { isContextText, type ModelAction, type OfferedTool, type TurnView } from "./model-script.js";

/** Reduce an OpenAI Responses request body (as Codex sends it) to a {@link TurnView}. */
export function openAiView(body: Record<string, unknown>): TurnView {
  const system: string[] = [];
  collectText(body["instructions"], system);
  const tools: OfferedTool[] = [];
  for (const entry of asArray(body["tools"]).map(asRecord)) {
    const name = entry["name"];
    if (typeof name !== "string") continue;
    if (entry["type"] === "namespace") {
      // MCP tools come grouped: {type: "namespace", name: "mcp__clustr", tools: [{name: "send_message"}]}.
      for (const inner of asArray(entry["tools"]).map(asRecord)) {
        const innerName = inner["name"];
        if (typeof innerName === "string") tools.push({ name: `${name}__${innerName}`, callName: innerName, namespace: name });
      }
    } else {
      tools.push({ name, callName: name });
    }
  }
  const userTexts: string[] = [];
  const toolResults: TurnView["toolResults"] = [];
  let callsSinceUserText: string[] = [];
  let resultsSinceUserText: TurnView["resultsSinceUserText"] = [];
  const callNames = new Map<string, string>();
  for (const item of asArray(body["input"]).map(asRecord)) {
    const type = item["type"] ?? "message";
    if (type === "message") {
      const texts: string[] = [];
      collectText(item["content"], texts);
      if (item["role"] === "developer" || item["role"] === "system") {
        system.push(...texts);
      } else if (item["role"] === "user") {
        const own = texts.filter((t) => !isContextText(t));
        if (own.length > 0) {
          userTexts.push(own.join("\n"));
          callsSinceUserText = [];
          resultsSinceUserText = [];
        }
      }
    } else if (type === "function_call" && typeof item["name"] === "string") {
      const namespace = item["namespace"];
      const name = typeof namespace === "string" ? `${namespace}__${item["name"]}` : item["name"];
      callsSinceUserText.push(name);
      callNames.set(String(item["call_id"]), name);
    } else if (type === "function_call_output") {
      const parts: string[] = [];
      const output = item["output"];
      if (typeof output === "string") parts.push(output);
      else collectText(output, parts);
      const callId = String(item["call_id"]);
      toolResults.push({ callId, output: parts.join("\n") });
      resultsSinceUserText.push({ name: callNames.get(callId) ?? "", output: parts.join("\n") });
    }
  }
  return { system: system.join("\n"), tools, userTexts, callsSinceUserText, toolResults, resultsSinceUserText };
}

/** The Responses API events of one reply, in order, as `[event name, data]` pairs. */
export function openAiEvents(action: ModelAction, id: string): [string, Record<string, unknown>][] {
  const item =
    action.kind === "text"
      ? {
          type: "message",
          id: `msg_${id}`,
          role: "assistant",
          status: "completed",
          content: [{ type: "output_text", text: action.text, annotations: [] }],
        }
      : {
          type: "function_call",
          id: `fc_${id}`,
          call_id: `call_${id}`,
          name: action.tool.callName,
          ...(action.tool.namespace === undefined ? {} : { namespace: action.tool.namespace }),
          arguments: JSON.stringify(action.input),
          status: "completed",
        };
  const usage = {
    input_tokens: 1,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: 1,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: 2,
  };
  const events: [string, Record<string, unknown>][] = [
    ["response.created", { type: "response.created", response: { id: `resp_${id}` } }],
  ];
  if (action.kind === "text") {
    events.push([
      "response.output_text.delta",
      { type: "response.output_text.delta", item_id: `msg_${id}`, output_index: 0, content_index: 0, delta: action.text },
    ]);
  }
  events.push(["response.output_item.done", { type: "response.output_item.done", output_index: 0, item }]);
  events.push(["response.completed", { type: "response.completed", response: { id: `resp_${id}`, usage } }]);
  return events;
}
