import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { isAlive, waitFor } from "@clustr/test-utils";
import type { Agent, ContextEntry, FileEvent, Message } from "@clustr/protocol";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { agentToken, spawnBash, startHarness, USER, waitRunning, type Harness } from "./workspace-harness.js";

let h: Harness;
beforeEach(async () => {
  // claude is looked up through CLUSTR_CLAUDE_BIN, here a path that does not exist.
  h = await startHarness({ env: { ...process.env, CLUSTR_CLAUDE_BIN: "/nonexistent/clustr-test/claude" } });
});
afterEach(async () => {
  await h.close();
});

const get = (url: string) => h.app.inject({ method: "GET", url, headers: USER });
const send = (method: "POST" | "PUT" | "DELETE", url: string, payload?: unknown) =>
  h.app.inject({ method, url, headers: USER, ...(payload === undefined ? {} : { payload: payload as object }) });

describe("agents", () => {
  it("spawns, lists, shows, types into, kills and removes a command agent", async () => {
    const agent = await spawnBash(h, "worker");
    expect(agent).toMatchObject({ name: "worker", kind: "command", status: "starting", cwd: h.project.path });
    expect((await get("/api/agents")).json<{ agents: Agent[] }>().agents.map((a) => a.id)).toEqual([agent.id]);
    expect((await get(`/api/agents/${agent.id}`)).json<{ agent: Agent }>().agent.id).toBe(agent.id);
    expect((await get("/api/agents/worker")).json<{ agent: Agent }>().agent.id).toBe(agent.id);
    await waitRunning(h, agent.id);

    const typed = await send("POST", `/api/agents/${agent.id}/input`, { text: "echo $((40 + 2))", submit: true });
    expect(typed.statusCode).toBe(204);
    await waitFor(async () => /^42$/m.test((await get("/api/agents/worker/screen")).json<{ screen: string }>().screen), { what: "42 on screen" });

    // Live agents cannot be removed.
    const early = await send("DELETE", `/api/agents/${agent.id}`);
    expect(early.statusCode).toBe(409);
    expect(early.json()).toMatchObject({ error: { code: "agent_not_ended" } });

    const pid = h.workspace.get(agent.id)!.pid!;
    const killed = await send("POST", `/api/agents/${agent.id}/kill`);
    expect(killed.statusCode).toBe(200);
    expect(killed.json<{ agent: Agent }>().agent.status).toBe("killed");
    await waitFor(() => !isAlive(pid), { what: "pid gone" });

    const notRunning = await send("POST", `/api/agents/${agent.id}/input`, { text: "echo again", submit: true });
    expect(notRunning.statusCode).toBe(409);
    expect(notRunning.json()).toMatchObject({ error: { code: "agent_not_running" } });

    expect((await send("DELETE", `/api/agents/${agent.id}`)).statusCode).toBe(204);
    expect((await get(`/api/agents/${agent.id}`)).statusCode).toBe(404);
    expect((await get("/api/agents")).json()).toEqual({ agents: [] });
  });

  it("answers 422 with a hint for what can be known at once, and stores nothing", async () => {
    const missingCwd = await send("POST", "/api/agents", { name: "a", kind: "command", command: "bash", cwd: join(h.project.path, "nope"), task: "" });
    expect(missingCwd.statusCode).toBe(422);
    expect(missingCwd.json()).toMatchObject({ error: { code: "cwd_not_found" } });

    const noClaude = await send("POST", "/api/agents", { name: "lead", kind: "claude", cwd: h.project.path, task: "hello" });
    expect(noClaude.statusCode).toBe(422);
    expect(noClaude.json()).toMatchObject({ error: { code: "cli_not_found", hint: expect.stringContaining("npm i -g @anthropic-ai/claude-code") } });

    const noProgram = await send("POST", "/api/agents", { name: "b", kind: "command", command: "clustr-no-such-program", cwd: h.project.path, task: "" });
    expect(noProgram.statusCode).toBe(422);
    expect(noProgram.json()).toMatchObject({ error: { code: "cli_not_found" } });

    expect((await get("/api/agents")).json()).toEqual({ agents: [] });
    expect(h.workspace.store.agents.list()).toEqual([]);
  });

  it("refuses invalid bodies with 400 and unknown agents with 404", async () => {
    const cases: unknown[] = [
      { name: "a" },
      { name: "bad name!", kind: "command", command: "bash", cwd: h.project.path, task: "" },
      { name: "a", kind: "command", cwd: h.project.path, task: "" },
      { name: "a", kind: "command", command: "bash", cwd: "relative/path", task: "" },
      { name: "a", kind: "command", command: "bash", cwd: h.project.path, task: "", extra: 1 },
    ];
    for (const body of cases) {
      const res = await send("POST", "/api/agents", body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json()).toMatchObject({ error: { code: "validation_failed" } });
    }
    const notJson = await h.app.inject({ method: "POST", url: "/api/agents", headers: { ...USER, "content-type": "application/json" }, payload: "{nope" });
    expect(notJson.statusCode).toBe(400);
    expect(h.workspace.list()).toEqual([]);

    for (const [method, url] of [
      ["GET", "/api/agents/ghost"],
      ["GET", "/api/agents/ghost/screen"],
      ["POST", "/api/agents/ghost/kill"],
      ["DELETE", "/api/agents/ghost"],
    ] as const) {
      const res = await h.app.inject({ method, url, headers: USER });
      expect(res.statusCode, `${method} ${url}`).toBe(404);
      expect(res.json()).toMatchObject({ error: { code: "not_found" } });
    }
    const input = await send("POST", "/api/agents/ghost/input", { text: "x", submit: true });
    expect(input.statusCode).toBe(404);
    const badInput = await send("POST", "/api/agents/ghost/input", { text: 5 });
    expect([400, 404]).toContain(badInput.statusCode);
  });

  it("refuses a second live agent with the same name (409), keeping the first", async () => {
    const first = await spawnBash(h, "twin");
    const second = await send("POST", "/api/agents", { name: "twin", kind: "command", command: "bash", cwd: h.project.path, task: "" });
    expect(second.statusCode).toBe(409);
    expect(second.json()).toMatchObject({ error: { code: "name_taken" } });
    expect(h.workspace.list().map((a) => a.id)).toEqual([first.id]);
  });

  it("refuses a spawn beyond the live-agent limit (429)", async () => {
    await h.close();
    h = await startHarness({ maxAgents: 1 });
    await spawnBash(h, "one");
    const res = await send("POST", "/api/agents", { name: "two", kind: "command", command: "bash", cwd: h.project.path, task: "" });
    expect(res.statusCode).toBe(429);
    expect(res.json()).toMatchObject({ error: { code: "limit_reached" } });
    expect(h.workspace.list()).toHaveLength(1);
  });
});

describe("messages", () => {
  it("sends as the user, to one agent or to all, and lists them oldest first with filters", async () => {
    const a = await spawnBash(h, "alpha");
    const b = await spawnBash(h, "beta");
    const one = await send("POST", "/api/messages", { to: "alpha", body: "hello alpha" });
    expect(one.statusCode).toBe(201);
    const message = one.json<{ message: Message }>().message;
    expect(message).toMatchObject({ from: null, to: a.id, body: "hello alpha" });
    expect(["queued", "delivered"]).toContain(message.state);

    const all = await send("POST", "/api/messages", { to: "*", body: "hello all" });
    expect(all.statusCode).toBe(201);
    const broadcast = all.json<{ messages: Message[] }>().messages;
    expect(broadcast.map((m) => m.to).sort()).toEqual([a.id, b.id].sort());

    const listed = (await get("/api/messages")).json<{ messages: Message[] }>().messages;
    expect(listed.map((m) => m.body)).toEqual(["hello alpha", "hello all", "hello all"]);
    const forBeta = (await get("/api/messages?agent=beta")).json<{ messages: Message[] }>().messages;
    expect(forBeta.map((m) => m.to)).toEqual([b.id]);
    const after = (await get(`/api/messages?after=${message.id}&limit=1`)).json<{ messages: Message[] }>().messages;
    expect(after).toHaveLength(1);
    expect(after[0]!.id).toBeGreaterThan(message.id);
  });

  it("refuses bad queries and bodies, and unknown recipients, storing nothing", async () => {
    await spawnBash(h, "alpha");
    expect((await get("/api/messages?limit=10001")).statusCode).toBe(400);
    expect((await get("/api/messages?after=-1")).statusCode).toBe(400);
    expect((await get("/api/messages?color=red")).statusCode).toBe(400);
    expect((await send("POST", "/api/messages", { to: "alpha" })).statusCode).toBe(400);
    expect((await send("POST", "/api/messages", { to: "alpha", body: "x".repeat(64 * 1024 + 1) })).statusCode).toBe(400);
    const nobody = await send("POST", "/api/messages", { to: "nobody", body: "hi" });
    expect(nobody.statusCode).toBe(404);
    expect(nobody.json()).toMatchObject({ error: { code: "unknown_recipient" } });
    expect((await get("/api/messages")).json()).toEqual({ messages: [] });
  });
});

describe("context", () => {
  it("puts, versions, refuses a stale version, gets, lists and deletes", async () => {
    const first = await send("PUT", "/api/context/plan", { value: "step 1" });
    expect(first.statusCode).toBe(200);
    expect(first.json<{ entry: ContextEntry }>().entry).toMatchObject({ key: "plan", value: "step 1", version: 1, author: null });

    const second = await send("PUT", "/api/context/plan", { value: "step 2", version: 1 });
    expect(second.json<{ entry: ContextEntry }>().entry).toMatchObject({ value: "step 2", version: 2 });

    const stale = await send("PUT", "/api/context/plan", { value: "lost?", version: 1 });
    expect(stale.statusCode).toBe(409);
    expect(stale.json()).toMatchObject({ error: { code: "version_conflict" } });
    expect((await get("/api/context/plan")).json<{ entry: ContextEntry }>().entry).toMatchObject({ value: "step 2", version: 2 });

    await send("PUT", "/api/context/notes", { value: "n" });
    expect((await get("/api/context")).json<{ entries: ContextEntry[] }>().entries.map((e) => e.key).sort()).toEqual(["notes", "plan"]);

    expect((await send("DELETE", "/api/context/plan")).statusCode).toBe(204);
    expect((await get("/api/context/plan")).statusCode).toBe(404);
    expect((await send("DELETE", "/api/context/plan")).statusCode).toBe(404);
  });

  it("refuses bad bodies with 400 and leaves the entry as it was", async () => {
    await send("PUT", "/api/context/k", { value: "v" });
    expect((await send("PUT", "/api/context/k", { value: 5 })).statusCode).toBe(400);
    expect((await send("PUT", "/api/context/k", { value: "v", version: "one" })).statusCode).toBe(400);
    expect((await send("PUT", "/api/context/k", {})).statusCode).toBe(400);
    expect((await send("PUT", `/api/context/${"k".repeat(300)}`, { value: "v" })).statusCode).toBe(400);
    const tooBig = await send("PUT", "/api/context/k", { value: "x".repeat(1024 * 1024 + 10) });
    expect(tooBig.statusCode).toBe(413);
    expect((await get("/api/context/k")).json<{ entry: ContextEntry }>().entry).toMatchObject({ value: "v", version: 1 });
    expect((await get("/api/context/missing")).json()).toMatchObject({ error: { code: "not_found" } });
  });
});

describe("files and rules", () => {
  it("lists the file changes agents make", async () => {
    const agent = await spawnBash(h, "writer", "echo content > made-by-agent.txt");
    await waitRunning(h, agent.id);
    const events = await waitFor(
      async () => {
        const list = (await get(`/api/files?agent=${agent.id}`)).json<{ events: FileEvent[] }>().events;
        return list.some((e) => e.path === "made-by-agent.txt") && list;
      },
      { timeoutMs: 20_000, what: "file event" },
    );
    expect(events.find((e) => e.path === "made-by-agent.txt")!.agentIds).toContain(agent.id);
    expect((await get("/api/files?limit=0")).statusCode).toBe(400);
    expect((await get("/api/files?agent=nobody")).json()).toEqual({ events: [] });
  });

  it("reads and replaces the rules file", async () => {
    const put = await send("PUT", "/api/rules", { content: "# Rules\nBe kind.\n" });
    expect(put.statusCode).toBe(200);
    expect(put.json()).toEqual({ content: "# Rules\nBe kind.\n" });
    expect((await get("/api/rules")).json()).toEqual({ content: "# Rules\nBe kind.\n" });
    expect(readFileSync(join(h.data.path, "rules.md"), "utf8")).toBe("# Rules\nBe kind.\n");
    const tooLong = await send("PUT", "/api/rules", { content: "x".repeat(64 * 1024 + 1) });
    expect(tooLong.statusCode).toBe(400);
    expect((await send("PUT", "/api/rules", { text: "x" })).statusCode).toBe(400);
    expect((await get("/api/rules")).json()).toEqual({ content: "# Rules\nBe kind.\n" });
  });
});

describe("images", () => {
  const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(64, 7)]);
  const upload = (body: Buffer | string, type?: string) =>
    h.app.inject({ method: "POST", url: "/api/images", headers: { ...USER, ...(type ? { "content-type": type } : {}) }, payload: body });

  it("stores a PNG by content hash, also above the 1 MiB JSON limit", async () => {
    const res = await upload(PNG, "image/png");
    expect(res.statusCode).toBe(201);
    const { id, path } = res.json<{ id: string; path: string }>();
    expect(id).toMatch(/^[a-f0-9]{64}\.png$/);
    expect(path).toBe(join(h.data.path, "images", id));
    expect(readFileSync(path)).toEqual(PNG);

    const big = Buffer.concat([PNG, Buffer.alloc(3 * 1024 * 1024)]);
    expect((await upload(big, "image/png")).statusCode).toBe(201);
  });

  it("refuses other types (415), mismatched bytes (415), empty bodies and bodies over 20 MiB (413)", async () => {
    for (const [body, type] of [
      ["hello", "text/plain"],
      [JSON.stringify({ image: "x" }), "application/json"],
      [PNG, "image/svg+xml"],
      [PNG, undefined],
    ] as const) {
      const res = await upload(body as Buffer | string, type);
      expect(res.statusCode, String(type)).toBe(415);
      expect(res.json()).toMatchObject({ error: { code: "unsupported_media_type" } });
    }
    const lying = await upload(PNG, "image/jpeg");
    expect(lying.statusCode).toBe(415);
    const notAnImage = await upload(Buffer.from("not an image at all"), "image/png");
    expect(notAnImage.statusCode).toBe(415);
    const huge = await upload(Buffer.concat([PNG, Buffer.alloc(20 * 1024 * 1024)]), "image/png");
    expect(huge.statusCode).toBe(413);
    expect(huge.json()).toMatchObject({ error: { code: "payload_too_large" } });
    const empty = await upload(Buffer.alloc(0), "image/png");
    expect(empty.statusCode).toBe(400);
    expect(existsSync(join(h.data.path, "images")) ? readdirSync(join(h.data.path, "images")) : []).toEqual([]);
  });

});

describe("authentication", () => {
  it("puts every workspace route behind the token, and bridge routes behind an agent token", async () => {
    for (const url of ["/api/agents", "/api/messages", "/api/context", "/api/files", "/api/rules"]) {
      expect((await h.app.inject({ method: "GET", url, headers: { host: USER.host } })).statusCode, url).toBe(401);
    }
    expect((await h.app.inject({ method: "POST", url: "/api/bridge/tools/list_agents", headers: USER, payload: {} })).statusCode).toBe(401);
    const agent = await spawnBash(h, "holder");
    await waitRunning(h, agent.id);
    const token = agentToken(h, agent.id);
    // An agent token is not the user's token.
    expect((await h.app.inject({ method: "GET", url: "/api/agents", headers: { host: USER.host, authorization: `Bearer ${token}` } })).statusCode).toBe(401);
  });
});
