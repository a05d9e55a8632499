import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fakeClaudeScript, fakeCodexScript, fakeTuiEnv, readFakeTuiLog, waitFor, type FakeTuiOptions } from "@clustr/test-utils";
import { describe, expect, it } from "vitest";
import { isClustrError } from "@clustr/protocol";
import { classify, runStartup, type PtySession } from "../src/index.js";
import { usePtyTestBed } from "./helpers.js";

const bed = usePtyTestBed("clustr-startup-");

function fake(kind: "claude" | "codex", options: FakeTuiOptions): { session: PtySession; log: string } {
  const log = join(bed.tmp.path, `${kind}.log`);
  const session = bed.start({
    file: process.execPath,
    args: [kind === "claude" ? fakeClaudeScript : fakeCodexScript],
    cwd: bed.tmp.path,
    cols: 100,
    rows: 30,
    env: { PATH: process.env.PATH ?? "", ...fakeTuiEnv({ log, ...options }) },
    classify: (text) => classify(kind, text),
  });
  return { session, log };
}

async function failure(promise: Promise<unknown>): Promise<{ code: string; data: Record<string, unknown> | undefined }> {
  try {
    await promise;
  } catch (error) {
    if (isClustrError(error)) return { code: error.code, data: error.data };
    throw error;
  }
  throw new Error("expected the start to fail");
}

describe("runStartup", () => {
  it("answers each startup question of the fake Claude Code, waits for ready, then types the task", { timeout: 30_000 }, async () => {
    const { session, log } = fake("claude", { startup: ["theme", "security", "trust", "api-key"], busyMs: 500 });
    let signalReady!: () => void;
    const ready = new Promise<void>((resolve) => (signalReady = resolve));
    const run = runStartup({ session, ready, task: "build the parser\nthen test it", timeoutMs: 20_000 });
    // Ready comes from the caller (the bridge's tools report): nothing is typed before it.
    await waitFor(() => readFakeTuiLog(log).some((e) => e.event === "screen" && e.id === "idle"), { what: "startup screens passed" });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(readFakeTuiLog(log).some((e) => e.event === "submit")).toBe(false);
    signalReady();
    const result = await run;
    expect(result.answered).toEqual({ "claude-theme": 1, "claude-security-notes": 1, "claude-folder-trust": 1, "claude-custom-api-key": 1 });
    expect(result.injected).toMatchObject({ submits: 1, confirmed: true });
    const events = readFakeTuiLog(log);
    expect(events.filter((e) => e.event === "answer").map((e) => (e.event === "answer" ? e.screen : ""))).toEqual(["theme", "security", "trust", "api-key"]);
    expect(events.filter((e) => e.event === "submit")).toEqual([{ event: "submit", text: "build the parser\nthen test it", toolsReady: false }]);
  });

  it("answers the fake Codex's folder trust", { timeout: 30_000 }, async () => {
    const { session, log } = fake("codex", { startup: ["trust"] });
    const result = await runStartup({ session, ready: Promise.resolve(), task: "hello codex", timeoutMs: 20_000 });
    expect(result.answered).toEqual({ "codex-folder-trust": 1 });
    await waitFor(() => readFakeTuiLog(log).some((e) => e.event === "submit" && e.text === "hello codex"), { what: "codex submit" });
  });

  it("reports an unknown question as needs-input and ends with start_timeout, keeping the last screen", { timeout: 30_000 }, async () => {
    const { session, log } = fake("claude", { startup: ["unknown"] });
    const seen: string[] = [];
    const outcome = await failure(runStartup({ session, ready: Promise.resolve(), task: "never typed", timeoutMs: 2500, onNeedsInput: (screen) => seen.push(screen) }));
    expect(outcome.code).toBe("start_timeout");
    expect(String(outcome.data?.screen)).toContain("Something unexpected needs an answer");
    expect(seen).toHaveLength(1);
    expect(seen[0]).toContain("Something unexpected needs an answer");
    expect(session.activity).toBe("needs-input");
    expect(readFakeTuiLog(log).some((e) => e.event === "answer" || e.event === "submit")).toBe(false);
  });

  it("ends with start_timeout when the ready signal never comes", { timeout: 30_000 }, async () => {
    const { session, log } = fake("claude", {});
    const outcome = await failure(runStartup({ session, ready: new Promise(() => undefined), task: "never typed", timeoutMs: 2000 }));
    expect(outcome.code).toBe("start_timeout");
    expect(String(outcome.data?.screen)).toContain("Claude Code");
    expect(readFakeTuiLog(log).some((e) => e.event === "submit")).toBe(false);
  });

  it("passes on a failed ready signal", async () => {
    const { session } = fake("claude", {});
    await expect(runStartup({ session, ready: Promise.reject(new Error("bridge never connected")), timeoutMs: 5000 })).rejects.toThrow("bridge never connected");
  });

  it("fails with process_exited when the program ends during startup", async () => {
    const session = bed.start({ file: "bash", args: ["--norc", "--noprofile", "-c", "echo bye; exit 3"], cwd: bed.tmp.path });
      const outcome = await failure(runStartup({ session, task: "x", timeoutMs: 5000 }));
    expect(outcome.code).toBe("process_exited");
    expect(outcome.data?.exitCode).toBe(3);
    expect(String(outcome.data?.screen)).toContain("bye");
  });

  it("starts a plain command: waits for a quiet screen, then types the task", { timeout: 30_000 }, async () => {
    const done = join(bed.tmp.path, "started");
    const session = bed.start({
      file: "bash",
      args: ["--norc", "--noprofile"],
      cwd: bed.tmp.path,
      env: { PATH: process.env.PATH ?? "", PS1: "$ ", HISTFILE: "/dev/null" },
      quietMs: 300,
    });
      const result = await runStartup({ session, task: `echo started > ${done}`, timeoutMs: 10_000 });
    expect(result.injected).toMatchObject({ submits: 1 });
    await waitFor(() => existsSync(done) && readFileSync(done, "utf8") === "started\n", { what: "task ran" });
  });
});
