// What the scripted model does with what Clustr's API tests rely on: message notices, messages
// carrying CALL lines, Claude 2.1.330's paste wrapper, Codex's wrapped tool output and its own
// spawn_agent.
import { describe, expect, it } from "vitest";
import { anthropicView, decideAction, DONE_TEXT, findOfferedTool, openAiView, type OfferedTool, type TurnView } from "../src/index.js";

const clustr = (name: string): OfferedTool => ({ name: `mcp__clustr__${name}`, callName: `mcp__clustr__${name}` });
const TOOLS = ["read_messages", "send_message", "get_context"].map(clustr);
const NOTICE = "[clustr] message #3 from ant: hello bee (call read_messages to read it)";
const readResult = (bodies: string[]): string =>
  JSON.stringify({ messages: bodies.map((body, i) => ({ id: i + 1, from: "a1", to: "b1", body, state: "read" })) }, null, 2);

function view(partial: Partial<TurnView>): TurnView {
  return { system: "", tools: TOOLS, userTexts: [], callsSinceUserText: [], toolResults: [], resultsSinceUserText: [], ...partial };
}

describe("the scripted model and Clustr notices", () => {
  it("answers a message notice by calling read_messages", () => {
    expect(decideAction(view({ userTexts: [NOTICE] }), undefined, "")).toEqual({ kind: "tool", tool: clustr("read_messages"), input: {} });
  });

  it("then makes the CALLs of the messages it read, one per turn, and ends with DONE", () => {
    const body = 'hello bee\nCALL get_context {"key":"plan"}\nCALL send_message {"to":"ant","body":"pong"}';
    const read = { name: "mcp__clustr__read_messages", output: readResult([body]) };
    const afterRead = view({ userTexts: [NOTICE], callsSinceUserText: ["mcp__clustr__read_messages"], resultsSinceUserText: [read] });
    expect(decideAction(afterRead, undefined, "")).toEqual({ kind: "tool", tool: clustr("get_context"), input: { key: "plan" } });
    const afterGet = view({
      userTexts: [NOTICE],
      callsSinceUserText: ["mcp__clustr__read_messages", "mcp__clustr__get_context"],
      resultsSinceUserText: [read, { name: "mcp__clustr__get_context", output: '{"entry":null}' }],
    });
    expect(decideAction(afterGet, undefined, "")).toEqual({ kind: "tool", tool: clustr("send_message"), input: { to: "ant", body: "pong" } });
    const afterSend = view({
      userTexts: [NOTICE],
      callsSinceUserText: ["mcp__clustr__read_messages", "mcp__clustr__get_context", "mcp__clustr__send_message"],
      resultsSinceUserText: [...afterGet.resultsSinceUserText, { name: "mcp__clustr__send_message", output: readResult(["CALL get_context {}"]) }],
    });
    // The sent message's echo is not a message read: its CALL line is not acted on.
    expect(decideAction(afterSend, undefined, "")).toEqual({ kind: "text", text: DONE_TEXT });
  });

  it("reads Codex's tool output behind its `Wall time … Output:` prefix", () => {
    const output = `Wall time: 0.0436 seconds\nOutput:\n${readResult(['CALL send_message {"to":"ant","body":"pong"}'])}`;
    const v = view({ userTexts: [NOTICE], callsSinceUserText: ["mcp__clustr__read_messages"], resultsSinceUserText: [{ name: "mcp__clustr__read_messages", output }] });
    expect(decideAction(v, undefined, "")).toEqual({ kind: "tool", tool: clustr("send_message"), input: { to: "ant", body: "pong" } });
  });

  it("ends with DONE when the notice's message was already read", () => {
    const v = view({ userTexts: [NOTICE], callsSinceUserText: ["mcp__clustr__read_messages"], resultsSinceUserText: [{ name: "mcp__clustr__read_messages", output: '{"messages":[]}' }] });
    expect(decideAction(v, undefined, "")).toEqual({ kind: "text", text: DONE_TEXT });
  });

  it("prefers the clustr server's tool over a CLI's built-in one of the same name", () => {
    const builtIn: OfferedTool = { name: "multi_agent_v1__spawn_agent", callName: "spawn_agent", namespace: "multi_agent_v1" };
    const ours: OfferedTool = { name: "mcp__clustr__spawn_agent", callName: "spawn_agent", namespace: "mcp__clustr" };
    expect(findOfferedTool([builtIn, ours], "spawn_agent")).toBe(ours);
    expect(findOfferedTool([builtIn], "spawn_agent")).toBe(builtIn);
  });

  it("records each tool result since the latest user text with the name of the tool called (both APIs)", () => {
    const anthropic = anthropicView({
      tools: [{ name: "mcp__clustr__read_messages" }],
      messages: [
        { role: "user", content: "first" },
        { role: "assistant", content: [{ type: "tool_use", id: "t1", name: "mcp__clustr__read_messages", input: {} }] },
        { role: "user", content: [{ type: "tool_result", tool_use_id: "t1", content: "old" }] },
        { role: "user", content: NOTICE },
        { role: "assistant", content: [{ type: "tool_use", id: "t2", name: "mcp__clustr__read_messages", input: {} }] },
        { role: "user", content: [{ type: "tool_result", tool_use_id: "t2", content: [{ type: "text", text: "new" }] }] },
      ],
    });
    expect(anthropic.resultsSinceUserText).toEqual([{ name: "mcp__clustr__read_messages", output: "new" }]);
    const openAi = openAiView({
      tools: [{ type: "namespace", name: "mcp__clustr", tools: [{ type: "function", name: "read_messages" }] }],
      input: [
        { type: "message", role: "user", content: [{ type: "input_text", text: NOTICE }] },
        { type: "function_call", name: "read_messages", namespace: "mcp__clustr", call_id: "c1", arguments: "{}" },
        { type: "function_call_output", call_id: "c1", output: "new" },
      ],
    });
    expect(openAi.resultsSinceUserText).toEqual([{ name: "mcp__clustr__read_messages", output: "new" }]);
  });
});

describe("Claude 2.1.330's paste wrapper", () => {
  const TASK = "Plan the work.\nCALL list_agents {}\nthen report";
  const wrapped = `\n\n<pasted_content id="1f30">\n${TASK}\n</pasted_content id="1f30">\n`;

  it("is not read as the user's words, so a wrapped task fails the verbatim checks", () => {
    const v = anthropicView({ tools: [{ name: "mcp__clustr__list_agents" }], messages: [{ role: "user", content: [{ type: "text", text: "<system-reminder>x</system-reminder>" }, { type: "text", text: wrapped }] }] });
    expect(v.userTexts).toEqual([]);
    expect(decideAction(v, undefined, JSON.stringify({ tools: [] }))).toEqual({ kind: "text", text: DONE_TEXT });
    const plain = anthropicView({ tools: [{ name: "mcp__clustr__list_agents" }], messages: [{ role: "user", content: [{ type: "text", text: TASK }] }] });
    expect(plain.userTexts).toEqual([TASK]);
  });
});
