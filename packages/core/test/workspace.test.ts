import { existsSync } from "node:fs";
import { join } from "node:path";
import { isAlive, makeTempDir, waitFor, type TempDir } from "@clustr/test-utils";
import type { ClustrEvent } from "@clustr/protocol";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createWorkspace, type Workspace } from "../src/index.js";

let data: TempDir;
let project: TempDir;
let workspace: Workspace;
let events: ClustrEvent[];

beforeEach(async () => {
  data = await makeTempDir("clustr-data-");
  project = await makeTempDir("clustr-project-");
  workspace = await createWorkspace({ dataDir: data.path, startTimeoutMs: 30_000 });
  events = [];
  workspace.subscribe((event) => events.push(event));
});

afterEach(async () => {
  await workspace.close();
  await data.cleanup();
  await project.cleanup();
});

const bash = (name: string, task = "echo started") =>
  workspace.spawn({ name, kind: "command", command: "bash", args: ["--norc", "--noprofile"], cwd: project.path, task });

const running = (id: string) => waitFor(() => workspace.get(id)?.status === "running", { timeoutMs: 20_000, what: "agent running" });

describe("spawning command agents", () => {
  it("answers at once with `starting`, then runs the task in a real pty and turns idle", async () => {
    const agent = bash("worker");
    expect(agent.status).toBe("starting");
    expect(events[0]).toMatchObject({ type: "agent.created", data: { agent: { id: agent.id, name: "worker" } } });
    await running(agent.id);
    await waitFor(() => /^started$/m.test(workspace.screen(agent.id)), { what: "task output" });
    await waitFor(() => workspace.get(agent.id)?.activity === "idle", { what: "idle" });
    const live = workspace.get(agent.id)!;
    expect(live.pid).toBeGreaterThan(0);
    expect(isAlive(live.pid!)).toBe(true);
    // Per-agent config lives under agents/<id>/ while it runs.
    expect(existsSync(join(data.path, "agents", agent.id, "mcp.json"))).toBe(true);
    expect(events.some((e) => e.type === "agent.updated" && e.data.agent.status === "running")).toBe(true);
  });

  it("types input with one submit and shows it on the screen", async () => {
    const agent = bash("typist");
    await running(agent.id);
    await workspace.input(agent.id, "echo $((6 * 7))", true);
    await waitFor(() => /^42$/m.test(workspace.screen(agent.id)), { what: "42 on screen" });
  });

  it("kills the whole process group, marks it killed and removes its config folder", async () => {
    const agent = bash("victim", "sleep 300 & echo bg=$!");
    await running(agent.id);
    const bg = Number((await waitFor(() => /bg=(\d+)/.exec(workspace.screen(agent.id)), { what: "bg pid" }))[1]);
    const pid = workspace.get(agent.id)!.pid!;
    const killed = await workspace.kill(agent.id);
    expect(killed.status).toBe("killed");
    expect(killed.endedAt).not.toBeNull();
    await waitFor(() => !isAlive(pid) && !isAlive(bg), { what: "processes gone" });
    expect(existsSync(join(data.path, "agents", agent.id))).toBe(false);
    workspace.remove(agent.id);
    expect(workspace.get(agent.id)).toBeUndefined();
  });

  it("records done on exit 0 and failed with the screen on a non-zero exit", async () => {
    const ok = workspace.spawn({ name: "ok", kind: "command", command: "bash", args: ["--norc", "-c", "sleep 0.5; exit 0"], cwd: project.path, task: "" });
    const bad = workspace.spawn({ name: "bad", kind: "command", command: "bash", args: ["--norc", "-c", "echo boom; sleep 0.5; exit 3"], cwd: project.path, task: "" });
    await waitFor(() => workspace.get(ok.id)?.status === "done" && workspace.get(bad.id)?.status === "failed", { timeoutMs: 20_000, what: "both ended" });
    expect(workspace.get(bad.id)).toMatchObject({ exitCode: 3, error: { code: "process_exited" } });
    expect(workspace.get(bad.id)?.error?.screen).toContain("boom");
  });

  it("refuses what can be known at once, and stores nothing", () => {
    expect(() => workspace.spawn({ name: "x", kind: "command", command: "bash", cwd: join(project.path, "missing"), task: "" })).toThrow(
      expect.objectContaining({ code: "cwd_not_found" }),
    );
    expect(() => workspace.spawn({ name: "x", kind: "command", command: "no-such-program-here", cwd: project.path, task: "" })).toThrow(
      expect.objectContaining({ code: "cli_not_found" }),
    );
    expect(() => workspace.spawn({ name: "bad name", kind: "command", command: "bash", cwd: project.path, task: "" })).toThrow(
      expect.objectContaining({ code: "validation_failed" }),
    );
    expect(workspace.list()).toEqual([]);
    expect(events).toEqual([]);
  });

  it("keeps names unique among live agents and enforces the live-agent limit", async () => {
    const first = bash("twin");
    expect(() => bash("twin")).toThrow(expect.objectContaining({ code: "name_taken" }));
    await running(first.id);
    await workspace.kill(first.id);
    expect(bash("twin").status).toBe("starting");
  });
});

describe("messages into terminals", () => {
  it("types the notice into an idle command agent and marks the message delivered", async () => {
    const agent = bash("reader");
    await running(agent.id);
    await waitFor(() => workspace.get(agent.id)?.activity === "idle", { what: "idle" });
    const [message] = await workspace.sendMessage("reader", "hello\nthere");
    await waitFor(() => workspace.screen(agent.id).includes(`[clustr] message #${message!.id} from user: hello there (call read_messages to read it)`), {
      what: "notice on screen",
    });
    await waitFor(() => workspace.listMessages({ agent: agent.id })[0]?.state === "delivered", { what: "delivered" });
    expect(workspace.readMessages(agent.id).map((m) => m.state)).toEqual(["read"]);
    const types = events.filter((e) => e.type.startsWith("message.")).map((e) => e.type);
    expect(types).toEqual(["message.created", "message.updated", "message.updated"]);
  });
});

describe("context and rules", () => {
  it("versions context entries and refuses a stale write", () => {
    const first = workspace.setContext("plan", "v1");
    expect(first.version).toBe(1);
    expect(workspace.setContext("plan", "v2", 1).version).toBe(2);
    expect(() => workspace.setContext("plan", "v3", 1)).toThrow(expect.objectContaining({ code: "version_conflict" }));
    expect(workspace.getContext("plan")?.value).toBe("v2");
    expect(workspace.deleteContext("plan")).toBe(true);
    expect(events.filter((e) => e.type === "context.changed").map((e) => (e.data as { entry: unknown }).entry === null)).toEqual([false, false, true]);
  });

  it("stores the rules file and emits rules.changed", () => {
    expect(workspace.getRules()).toBe("");
    workspace.setRules("# Rules\nbe kind\n");
    expect(workspace.getRules()).toBe("# Rules\nbe kind\n");
    expect(events.at(-1)).toMatchObject({ type: "rules.changed", data: { content: "# Rules\nbe kind\n" } });
    expect(() => workspace.setRules("x".repeat(64 * 1024 + 1))).toThrow(expect.objectContaining({ code: "payload_too_large" }));
    expect(workspace.getRules()).toBe("# Rules\nbe kind\n");
  });
});

describe("close", () => {
  it("ends every agent's processes", async () => {
    const a = bash("a");
    const b = bash("b");
    await running(a.id);
    await running(b.id);
    const pids = [workspace.get(a.id)!.pid!, workspace.get(b.id)!.pid!];
    await workspace.close();
    for (const pid of pids) expect(isAlive(pid)).toBe(false);
    workspace = await createWorkspace({ dataDir: data.path });
    expect(workspace.list().map((agent) => agent.status)).toEqual(["killed", "killed"]);
  });
});
