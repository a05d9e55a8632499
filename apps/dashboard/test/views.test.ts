import { describe, expect, it } from "vitest";
import { ClustrError, LIMITS, TerminalClientMessageSchema } from "@clustr/protocol";
import {
  buildGraph,
  describeError,
  edgeWidth,
  emptySpawnForm,
  errorFromResponse,
  filterFiles,
  filterMessages,
  countOf,
  firstLine,
  formatTime,
  imageType,
  inputFrames,
  patchLines,
  resizeFrame,
  spawnBody,
  splitArgs,
  terminalUrl,
  USER_NODE,
  agentStateLabel,
} from "../src/index.js";
import { agent, fileEvent, message } from "./fixtures.js";

describe("buildGraph", () => {
  const agents = [agent("lead"), agent("aaaa", { parentId: "lead" }), agent("bbbb", { parentId: "aaaa", status: "done", activity: "idle" })];

  it("draws agents with kind, status and activity while running, and parent links", () => {
    const { nodes, edges } = buildGraph(agents, []);
    expect(nodes.map((n) => [n.id, n.status, n.activity, n.depth])).toEqual([["lead", "running", "idle", 0], ["aaaa", "running", "idle", 1], ["bbbb", "done", null, 2]]);
    expect(edges.map((e) => [e.type, e.source, e.target])).toEqual([["parent", "lead", "aaaa"], ["parent", "aaaa", "bbbb"]]);
  });

  it("weights message edges by the number of messages each way and adds the user once it has written", () => {
    const messages = [message(1, "lead", "aaaa"), message(2, "lead", "aaaa"), message(3, "aaaa", "lead"), message(4, null, "lead"), message(5, "gone", "lead")];
    const { nodes, edges } = buildGraph(agents, messages);
    const weights = edges.filter((e) => e.type === "message").map((e) => [e.source, e.target, e.count]);
    expect(weights).toEqual([["lead", "aaaa", 2], ["aaaa", "lead", 1], [USER_NODE, "lead", 1]]);
    expect(nodes[0]).toMatchObject({ id: USER_NODE, kind: "user" });
  });

  it("makes busier edges wider, within bounds", () => {
    expect(edgeWidth(1)).toBe(1);
    expect(edgeWidth(8)).toBeGreaterThan(edgeWidth(2));
    expect(edgeWidth(1_000_000)).toBe(9);
  });

  it("survives a parent loop without hanging", () => {
    const loop = [agent("aaaa", { parentId: "bbbb" }), agent("bbbb", { parentId: "aaaa" })];
    expect(buildGraph(loop, []).nodes.map((n) => n.depth)).toEqual([1, 1]);
  });
});

describe("filters", () => {
  const messages = [message(1, "aaaa", "bbbb"), message(2, null, "aaaa"), message(3, "bbbb", "cccc")];

  it("picks an agent's sent and received messages, or the user's", () => {
    expect(filterMessages(messages, "").map((m) => m.id)).toEqual([1, 2, 3]);
    expect(filterMessages(messages, "aaaa").map((m) => m.id)).toEqual([1, 2]);
    expect(filterMessages(messages, "user").map((m) => m.id)).toEqual([2]);
  });

  it("filters file events by agent and by part of the path, ignoring case", () => {
    const events = [fileEvent(1, "src/App.ts", ["aaaa"]), fileEvent(2, "README.md", []), fileEvent(3, "src/lib/x.ts", ["aaaa", "bbbb"])];
    expect(filterFiles(events, "bbbb", "").map((e) => e.id)).toEqual([3]);
    expect(filterFiles(events, "", "APP").map((e) => e.id)).toEqual([1]);
    expect(filterFiles(events, "aaaa", "lib").map((e) => e.id)).toEqual([3]);
    expect(filterFiles(events, "user", "").map((e) => e.id)).toEqual([2]);
  });
});

describe("spawn form", () => {
  it("splits arguments like a shell, without expanding anything", () => {
    expect(splitArgs(` -c  "echo \\"hi\\" $HOME" 'a b' c\\ d "" `)).toEqual(["-c", 'echo "hi" $HOME', "a b", "c d", ""]);
    expect(() => splitArgs("'open")).toThrow(/single quote is not closed/);
  });

  it("builds a command agent's body with its arguments and images", () => {
    const form = { ...emptySpawnForm("/w"), name: " worker ", kind: "command" as const, command: "/bin/sh", args: "-c 'sleep 1'", task: "t", images: ["a".repeat(64) + ".png"] };
    expect(spawnBody(form)).toEqual({
      ok: true,
      body: { name: "worker", kind: "command", task: "t", cwd: "/w", command: "/bin/sh", args: ["-c", "sleep 1"], images: ["a".repeat(64) + ".png"], permissionMode: "edits" },
    });
  });

  it("leaves command fields out for claude and codex agents", () => {
    const form = { ...emptySpawnForm("/w"), name: "lead", command: "ignored", args: "x", task: "go", permissionMode: "bypass" as const };
    expect(spawnBody(form)).toEqual({ ok: true, body: { name: "lead", kind: "claude", task: "go", cwd: "/w", permissionMode: "bypass" } });
  });

  it("says what is wrong before anything is sent", () => {
    const result = spawnBody({ ...emptySpawnForm("relative/dir"), name: "bad name", kind: "command" });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.join("\n")).toMatch(/name: name may hold only letters/);
    expect(result.errors.join("\n")).toMatch(/cwd: path must be absolute/);
    expect(result.errors.join("\n")).toMatch(/command: a command agent needs `command`/);
  });

  it("accepts only the image types the server stores", () => {
    expect(imageType("image/png")).toBe("image/png");
    expect(imageType("image/webp")).toBe("image/webp");
    expect(imageType("image/svg+xml")).toBeNull();
  });
});

describe("terminal frames", () => {
  it("sends typing as input messages the server accepts", () => {
    const [frame] = inputFrames("ls\r");
    expect(TerminalClientMessageSchema.parse(JSON.parse(frame as string))).toEqual({ type: "input", data: "ls\r" });
  });

  it("splits a large paste into frames under the limit without cutting a character", () => {
    const text = "é😀".repeat(LIMITS.inputMaxBytes / 2);
    const frames = inputFrames(text);
    expect(frames.length).toBeGreaterThan(1);
    const parts = frames.map((f) => TerminalClientMessageSchema.parse(JSON.parse(f)));
    for (const p of parts) expect(new TextEncoder().encode(p.type === "input" ? p.data : "").length).toBeLessThanOrEqual(LIMITS.inputMaxBytes);
    expect(parts.map((p) => (p.type === "input" ? p.data : "")).join("")).toBe(text);
  });

  it("sends sizes the server accepts and drops the rest", () => {
    expect(JSON.parse(resizeFrame(120, 40) as string)).toEqual({ type: "resize", cols: 120, rows: 40 });
    expect(resizeFrame(1, 40)).toBeNull();
    expect(resizeFrame(80, 0)).toBeNull();
  });

  it("addresses the agent's terminal socket", () => {
    expect(terminalUrl({ protocol: "http:", host: "127.0.0.1:7" }, "abcd")).toBe("ws://127.0.0.1:7/api/agents/abcd/terminal");
  });
});

describe("errors", () => {
  it("turns the server's error body into a ClustrError with its hint and status", async () => {
    const response = new Response(JSON.stringify({ error: { code: "cli_not_found", message: "claude is not installed", hint: "npm i -g @anthropic-ai/claude-code" } }), { status: 422 });
    const error = await errorFromResponse(response);
    expect(error).toBeInstanceOf(ClustrError);
    expect(error.code).toBe("cli_not_found");
    expect(error.data).toEqual({ status: 422 });
    expect(describeError(error)).toBe("claude is not installed (npm i -g @anthropic-ai/claude-code)");
  });

  it("reports an answer that is not an error body with its status", async () => {
    const error = await errorFromResponse(new Response("Bad Gateway", { status: 502 }));
    expect(error.code).toBe("internal");
    expect(error.message).toBe("the server answered 502: Bad Gateway");
  });
});

describe("formatting", () => {
  it("colours diff lines by what they are", () => {
    expect(patchLines("--- a/x\n+++ b/x\n@@ -1 +1 @@\n-old\n+new\n same\n").map((l) => l.kind)).toEqual(["meta", "meta", "hunk", "del", "add", "context"]);
  });

  it("shows today's times as a clock and older ones with the date", () => {
    const now = new Date(2026, 0, 2, 12, 0, 0);
    expect(formatTime(new Date(2026, 0, 2, 9, 5, 7).toISOString(), now)).toBe("09:05:07");
    expect(formatTime(new Date(2026, 0, 1, 9, 5, 7).toISOString(), now)).toBe("2026-01-01 09:05:07");
    expect(formatTime("nonsense", now)).toBe("nonsense");
  });

  it("counts in the singular for one", () => {
    expect(countOf(1, "note")).toBe("1 note");
    expect(countOf(0, "note")).toBe("0 notes");
    expect(countOf(3, "change")).toBe("3 changes");
    expect(countOf(2, "entry", "entries")).toBe("2 entries");
  });

  it("cuts long first lines", () => {
    expect(firstLine("a\nb")).toBe("a");
    expect(firstLine("x".repeat(10), 5)).toBe("xxxx…");
  });
});

describe("agentStateLabel", () => {
  it("shows the activity only while the agent runs", () => {
    expect(agentStateLabel({ status: "running", activity: "needs-input" })).toBe("needs-input");
    expect(agentStateLabel({ status: "starting", activity: "busy" })).toBe("starting");
    expect(agentStateLabel({ status: "done", activity: null })).toBe("done");
  });
});
