import { afterEach, describe, expect, it } from "vitest";
import { DONE_TEXT, parseCallLines, startFakeAnthropic, startFakeModel, startFakeOpenAi, type FakeModelServer } from "../src/index.js";

const TASK = 'Say hi to the lead.\nCALL send_message {"to":"lead","body":"hi"}\nCALL send_message {"to":"*","body":"all"}';

/** Read an SSE response into [event, data] pairs. */
async function sse(res: Response): Promise<[string, Record<string, unknown>][]> {
  expect(res.headers.get("content-type")).toBe("text/event-stream");
  const text = await res.text();
  return text
    .split("\n\n")
    .filter((chunk) => chunk.trim() !== "")
    .map((chunk) => {
      const event = /^event: (.*)$/m.exec(chunk)?.[1] ?? "";
      const data = JSON.parse(/^data: (.*)$/m.exec(chunk)?.[1] ?? "null") as Record<string, unknown>;
      return [event, data];
    });
}

let model: FakeModelServer | undefined;
afterEach(async () => {
  await model?.close();
  model = undefined;
});

describe("parseCallLines", () => {
  it("reads CALL lines in order, defaults missing arguments to {} and reports bad JSON", () => {
    expect(parseCallLines("x\nCALL a {\"k\":1}\n  CALL b\nCALL c [1]\nCALL d {oops")).toEqual({
      calls: [
        { tool: "a", input: { k: 1 } },
        { tool: "b", input: {} },
      ],
      errors: [expect.stringContaining("CALL c"), expect.stringContaining("CALL d")],
    });
  });
});

describe("fake Anthropic Messages API", () => {
  const anthropic = (m: FakeModelServer, body: unknown, key = m.apiKey): Promise<Response> =>
    fetch(`${m.url}/v1/messages?beta=true`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": key },
      body: JSON.stringify(body),
    });
  const tools = [{ name: "Bash" }, { name: "mcp__clustr__send_message" }];

  it("streams the script's tool calls one per turn, mapped to the offered name, then DONE", async () => {
    model = await startFakeAnthropic();
    const user = { role: "user", content: [{ type: "text", text: "<system-reminder>ctx</system-reminder>" }, { type: "text", text: TASK }] };
    const first = await sse(await anthropic(model, { model: "m", stream: true, system: [{ type: "text", text: "SYS" }], tools, messages: [user] }));
    expect(first.map(([e]) => e)).toEqual([
      "message_start",
      "content_block_start",
      "content_block_delta",
      "content_block_stop",
      "message_delta",
      "message_stop",
    ]);
    expect(first[1]?.[1]).toMatchObject({ content_block: { type: "tool_use", name: "mcp__clustr__send_message", input: {} } });
    expect(first[2]?.[1]).toMatchObject({ delta: { type: "input_json_delta", partial_json: '{"to":"lead","body":"hi"}' } });
    expect(first[4]?.[1]).toMatchObject({ delta: { stop_reason: "tool_use" } });

    const id = (first[1]?.[1]["content_block"] as { id: string }).id;
    const history = [
      user,
      { role: "assistant", content: [{ type: "tool_use", id, name: "mcp__clustr__send_message", input: { to: "lead", body: "hi" } }] },
      { role: "user", content: [{ type: "tool_result", tool_use_id: id, content: [{ type: "text", text: "sent" }] }, { type: "text", text: "note" }] },
    ];
    const second = await sse(await anthropic(model, { model: "m", stream: true, tools, messages: history }));
    expect(second[2]?.[1]).toMatchObject({ delta: { partial_json: '{"to":"*","body":"all"}' } });

    const third = await sse(
      await anthropic(model, {
        model: "m",
        stream: true,
        tools,
        messages: [...history, { role: "assistant", content: [{ type: "tool_use", id: "t2", name: "mcp__clustr__send_message", input: {} }] }],
      }),
    );
    expect(third[1]?.[1]).toMatchObject({ content_block: { type: "text" } });
    expect(third[2]?.[1]).toMatchObject({ delta: { type: "text_delta", text: DONE_TEXT } });
    expect(third[4]?.[1]).toMatchObject({ delta: { stop_reason: "end_turn" } });

    const turns = model.turns();
    expect(turns).toHaveLength(3);
    expect(turns[0]?.view).toMatchObject({ system: "SYS", userTexts: [TASK] });
    expect(turns[0]?.view?.tools.map((t) => t.name)).toEqual(["Bash", "mcp__clustr__send_message"]);
    expect(turns[1]?.view?.toolResults).toEqual([{ callId: id, output: "sent" }]);
    expect(turns[0]?.query).toBe("beta=true");
  });

  it("answers title requests (no tools) and non-streamed requests with plain messages", async () => {
    model = await startFakeAnthropic({ titleText: "A title" });
    const res = await anthropic(model, { model: "m", messages: [{ role: "user", content: TASK }] });
    expect(await res.json()).toMatchObject({ type: "message", content: [{ type: "text", text: "A title" }], stop_reason: "end_turn" });
    const plain = await anthropic(model, { model: "m", tools, messages: [{ role: "user", content: TASK }] });
    expect(await plain.json()).toMatchObject({ content: [{ type: "tool_use", name: "mcp__clustr__send_message", input: { to: "lead", body: "hi" } }] });
    expect(model.requests.map((r) => r.kind)).toEqual(["title", "turn"]);
  });

  it("loads a deferred MCP tool with ToolSearch before calling it", async () => {
    model = await startFakeAnthropic();
    const body = {
      model: "m",
      stream: true,
      tools: [{ name: "ToolSearch" }],
      messages: [
        { role: "system", content: "Deferred tools: mcp__clustr__send_message" },
        { role: "user", content: TASK },
      ],
    };
    const events = await sse(await anthropic(model, body));
    expect(events[1]?.[1]).toMatchObject({ content_block: { type: "tool_use", name: "ToolSearch" } });
    expect(events[2]?.[1]).toMatchObject({ delta: { partial_json: JSON.stringify({ query: "select:mcp__clustr__send_message", max_results: 1 }) } });
    expect(model.turns()[0]?.view?.system).toContain("Deferred tools");
  });

  it("uses pushed replies before the script, keeps them from title requests, and says when a CALL is broken", async () => {
    model = await startFakeAnthropic();
    model.pushReply({ text: "pushed" });
    model.pushReply({ tool: "send_message", input: { to: "x", body: "y" } });
    const title = await anthropic(model, { model: "m", messages: [{ role: "user", content: "hi" }] });
    expect(await title.json()).toMatchObject({ content: [{ text: "Fake session title" }] });
    const a = await anthropic(model, { model: "m", tools, messages: [{ role: "user", content: "hi" }] });
    expect(await a.json()).toMatchObject({ content: [{ type: "text", text: "pushed" }] });
    const b = await anthropic(model, { model: "m", tools, messages: [{ role: "user", content: "hi" }] });
    expect(await b.json()).toMatchObject({ content: [{ type: "tool_use", name: "mcp__clustr__send_message", input: { to: "x", body: "y" } }] });
    const c = await anthropic(model, { model: "m", tools, messages: [{ role: "user", content: "CALL send_message {nope" }] });
    expect(await c.json()).toMatchObject({ content: [{ type: "text", text: expect.stringContaining("SCRIPT ERROR") }] });
    const d = await anthropic(model, { model: "m", tools, messages: [{ role: "user", content: "CALL spawn_agent {}" }] });
    expect(await d.json()).toMatchObject({ content: [{ type: "text", text: expect.stringContaining("spawn_agent was not offered") }] });
  });

  it("refuses a wrong key and a non-JSON body, answers probes, and keeps serving", async () => {
    model = await startFakeAnthropic();
    expect((await anthropic(model, { messages: [] }, "wrong")).status).toBe(401);
    const bad = await fetch(`${model.url}/v1/messages`, { method: "POST", headers: { "x-api-key": model.apiKey }, body: "{not json" });
    expect(bad.status).toBe(400);
    expect((await fetch(`${model.url}/`, { method: "HEAD" })).status).toBe(200);
    const count = await fetch(`${model.url}/v1/messages/count_tokens`, { method: "POST", headers: { "x-api-key": model.apiKey }, body: "{}" });
    expect(await count.json()).toEqual({ input_tokens: 1 });
    expect((await fetch(`${model.url}/v1/other`, { method: "POST", body: "{}" })).status).toBe(404);
    expect((await anthropic(model, { model: "m", tools, messages: [{ role: "user", content: "hi" }] })).status).toBe(200);
    expect(model.requests.map((r) => `${r.kind}:${r.status}`)).toEqual(["probe:401", "probe:400", "probe:200", "count_tokens:200", "probe:404", "turn:200"]);
  });

  it("refuses a malformed pushed reply and an unknown API with a ClustrError, keeping the queue as it was", async () => {
    model = await startFakeAnthropic();
    expect(() => model?.pushReply({ tool: "send_message" } as never)).toThrow(expect.objectContaining({ code: "validation_failed" }));
    expect(() => model?.pushReply({ text: "a", tool: "b", input: {} } as never)).toThrow(expect.objectContaining({ code: "validation_failed" }));
    await expect(startFakeModel({ api: "gemini" as never })).rejects.toMatchObject({ code: "bad_request" });
    const res = await anthropic(model, { model: "m", tools, messages: [{ role: "user", content: "hi" }] });
    expect(await res.json()).toMatchObject({ content: [{ type: "text", text: DONE_TEXT }] });
  });

  it("answers 413 to a body over the limit and keeps serving", async () => {
    model = await startFakeAnthropic({ maxBodyBytes: 1024 });
    const big = await anthropic(model, { model: "m", tools, messages: [{ role: "user", content: "x".repeat(4096) }] });
    expect(big.status).toBe(413);
    expect(await big.json()).toMatchObject({ type: "error", error: { message: expect.stringContaining("over 1024 bytes") } });
    const ok = await anthropic(model, { model: "m", tools, messages: [{ role: "user", content: "hi" }] });
    expect(ok.status).toBe(200);
  });

  it("stops listening on close()", async () => {
    const m = await startFakeAnthropic();
    await m.close();
    await expect(fetch(`${m.url}/`, { method: "HEAD" })).rejects.toThrow();
  });
});

describe("fake OpenAI Responses API", () => {
  const responses = (m: FakeModelServer, body: unknown, auth = `Bearer ${m.apiKey}`): Promise<Response> =>
    fetch(`${m.baseUrl}/responses`, { method: "POST", headers: { "content-type": "application/json", authorization: auth }, body: JSON.stringify(body) });
  const tools = [
    { type: "function", name: "shell" },
    { type: "namespace", name: "mcp__clustr", tools: [{ type: "function", name: "send_message" }] },
  ];

  it("answers with namespaced function calls, then DONE once every call has its output", async () => {
    model = await startFakeOpenAi();
    expect(model.baseUrl).toBe(`${model.url}/v1`);
    const input = [
      { type: "message", role: "developer", content: [{ type: "input_text", text: "DEV NOTE" }] },
      { type: "message", role: "user", content: [{ type: "input_text", text: "<environment_context>cwd</environment_context>" }] },
      { type: "message", role: "user", content: [{ type: "input_text", text: TASK }] },
    ];
    const first = await sse(await responses(model, { model: "m", instructions: "BASE", tools, input, stream: true }));
    expect(first.map(([e]) => e)).toEqual(["response.created", "response.output_item.done", "response.completed"]);
    const item = first[1]?.[1]["item"] as Record<string, unknown>;
    expect(item).toMatchObject({ type: "function_call", name: "send_message", namespace: "mcp__clustr", arguments: '{"to":"lead","body":"hi"}' });
    expect(first[2]?.[1]).toMatchObject({ response: { id: expect.any(String), usage: { total_tokens: 2 } } });

    const after = (n: number): unknown[] => [
      ...input,
      ...Array.from({ length: n }, (_, i) => [
        { type: "function_call", name: "send_message", namespace: "mcp__clustr", call_id: `c${i}`, arguments: "{}" },
        { type: "function_call_output", call_id: `c${i}`, output: "sent" },
      ]).flat(),
    ];
    const second = await sse(await responses(model, { model: "m", tools, input: after(1), stream: true }));
    expect(second[1]?.[1]["item"]).toMatchObject({ type: "function_call", arguments: '{"to":"*","body":"all"}' });
    const third = await sse(await responses(model, { model: "m", tools, input: after(2), stream: true }));
    expect(third.map(([e]) => e)).toEqual(["response.created", "response.output_text.delta", "response.output_item.done", "response.completed"]);
    expect(third[2]?.[1]["item"]).toMatchObject({ type: "message", role: "assistant", content: [{ type: "output_text", text: DONE_TEXT }] });

    const view = model.turns()[0]?.view;
    expect(view?.userTexts).toEqual([TASK]);
    expect(view?.system).toBe("BASE\nDEV NOTE");
    expect(view?.tools).toContainEqual({ name: "mcp__clustr__send_message", callName: "send_message", namespace: "mcp__clustr" });
    expect(model.turns()[2]?.view?.toolResults).toEqual([
      { callId: "c0", output: "sent" },
      { callId: "c1", output: "sent" },
    ]);
  });

  it("needs the bearer key and answers a title request (no tools) with text", async () => {
    model = await startFakeOpenAi({ apiKey: "k-123" });
    expect((await responses(model, { input: [] }, "Bearer nope")).status).toBe(401);
    const title = await sse(await responses(model, { model: "m", input: [{ role: "user", content: "name this" }] }));
    expect(title[2]?.[1]["item"]).toMatchObject({ content: [{ text: "Fake session title" }] });
    expect(model.requests.map((r) => r.kind)).toEqual(["probe", "title"]);
  });
});
