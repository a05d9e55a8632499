// The recognisers driving the fake CLIs in a real pseudo-terminal, read through a headless
// terminal: every startup question is answered with the keys `classify` gives, until idle.
import { join } from "node:path";
import xterm from "@xterm/headless";
import pty from "node-pty";
import { fakeClaudeScript, fakeCodexScript, fakeTuiEnv, makeTempDir, readFakeTuiLog, waitFor, type FakeTuiOptions, type TempDir } from "@clustr/test-utils";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { classify, type ScreenState } from "../src/index.js";

const COLS = 100;
const ROWS = 30;
const STEP_PAUSE_MS = 80;

interface Running {
  screen(): string;
  state(): ScreenState;
  write(data: string): void;
  exited: Promise<number>;
  close(): void;
}

let tmp: TempDir;
let running: Running | undefined;

beforeEach(async () => {
  tmp = await makeTempDir("clustr-fake-tui-");
});

afterEach(async () => {
  running?.close();
  running = undefined;
  await tmp.cleanup();
});

function start(kind: "claude" | "codex", options: FakeTuiOptions): Running {
  const term = new xterm.Terminal({ cols: COLS, rows: ROWS, allowProposedApi: true });
  const child = pty.spawn(process.execPath, [kind === "claude" ? fakeClaudeScript : fakeCodexScript], {
    cols: COLS,
    rows: ROWS,
    cwd: tmp.path,
    env: { PATH: process.env.PATH ?? "", ...fakeTuiEnv(options) },
  });
  child.onData((data) => term.write(data));
  const exited = new Promise<number>((resolve) => child.onExit(({ exitCode }) => resolve(exitCode)));
  let closed = false;
  exited.then(() => (closed = true), () => undefined);
  const screen = (): string => {
    const buffer = term.buffer.active;
    const lines: string[] = [];
    for (let i = 0; i < buffer.length; i++) lines.push(buffer.getLine(i)?.translateToString(true) ?? "");
    return lines.join("\n");
  };
  running = {
    screen,
    state: () => classify(kind, screen()),
    write: (data) => child.write(data),
    exited,
    close: () => {
      if (!closed) child.kill();
      term.dispose();
    },
  };
  return running;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Answer every recognised question until the program is idle; returns the prompt ids seen. */
async function driveToIdle(app: Running): Promise<string[]> {
  const answered: string[] = [];
  for (let round = 0; round < 20; round++) {
    const state = await waitFor(
      () => {
        const s = app.state();
        return s.activity === "idle" || s.prompt || (s.activity === "needs-input" && s) ? s : undefined;
      },
      { timeoutMs: 10_000, what: "a startup question or the idle prompt" },
    );
    if (state.activity === "idle") return answered;
    if (!state.prompt) throw new Error(`unrecognised question:\n${app.screen()}`);
    const before = app.screen();
    for (const step of state.prompt.steps) {
      app.write(step);
      await sleep(STEP_PAUSE_MS);
    }
    answered.push(state.prompt.id);
    await waitFor(() => app.screen() !== before, { timeoutMs: 10_000, what: `the screen after answering ${state.prompt.id}` });
  }
  throw new Error("too many questions");
}

/** Paste text, check the input line shows it, submit, and wait for busy then idle. */
async function submitTask(app: Running, task: string): Promise<void> {
  app.write(`\x1b[200~${task}\x1b[201~`);
  await waitFor(() => app.state().inputText === task, { timeoutMs: 10_000, what: "the pasted task on the input line" });
  await sleep(STEP_PAUSE_MS);
  app.write("\r");
  await waitFor(() => app.state().activity === "busy", { timeoutMs: 10_000, what: "the turn to start" });
  expect(app.state().inputText).toBe("");
  await waitFor(() => app.state().activity === "idle", { timeoutMs: 10_000, what: "the turn to end" });
}

describe("driving the fake Claude Code with classify", () => {
  it("passes every 2.1.330 startup question, then runs a turn", async () => {
    const log = join(tmp.path, "log.jsonl");
    const app = start("claude", { startup: ["theme", "security", "trust", "api-key", "bypass", "auto-mode"], log, busyMs: 400 });
    expect(await driveToIdle(app)).toEqual([
      "claude-theme",
      "claude-security-notes",
      "claude-folder-trust",
      "claude-custom-api-key",
      "claude-bypass-warning",
      "claude-auto-mode-offer",
    ]);
    const answers = readFakeTuiLog(log).flatMap((event) => (event.event === "answer" ? [[event.screen, event.choice]] : []));
    expect(answers).toEqual([
      ["theme", "Auto (match terminal)"],
      ["security", "Enter"],
      ["trust", "Yes, I trust this folder"],
      ["api-key", "Yes"],
      ["bypass", "Yes, I accept"],
      ["auto-mode", "No, keep accept edits"],
    ]);
    await submitTask(app, "Fix the flaky test in store");
    expect(readFakeTuiLog(log).filter((event) => event.event === "submit")).toEqual([
      { event: "submit", text: "Fix the flaky test in store", toolsReady: false },
    ]);
  });

  it("answers 2.1.197's folder trust, whose cursor starts on Yes", async () => {
    const log = join(tmp.path, "log.jsonl");
    const app = start("claude", { version: "2.1.197", startup: ["theme", "security", "trust"], log });
    expect(await driveToIdle(app)).toEqual(["claude-theme", "claude-security-notes", "claude-folder-trust"]);
    expect(readFakeTuiLog(log).find((event) => event.event === "answer" && event.screen === "trust")).toEqual({
      event: "answer",
      screen: "trust",
      choice: "1. Yes, I trust this folder",
    });
    await submitTask(app, "hello");
  });

  it("reports an unknown question as needs-input with nothing to answer", async () => {
    const app = start("claude", { startup: ["unknown"] });
    const state = await waitFor(() => (app.state().activity === "needs-input" ? app.state() : undefined), { what: "the question" });
    expect(state).toStrictEqual({ activity: "needs-input" });
  });
});

describe("driving the fake Codex with classify", () => {
  it("passes folder trust and the update offer, and approves the clustr tools", async () => {
    const log = join(tmp.path, "log.jsonl");
    const app = start("codex", { startup: ["trust", "update"], approval: "clustr:send_message", log, busyMs: 300 });
    expect(await driveToIdle(app)).toEqual(["codex-folder-trust", "codex-update"]);
    app.write("\x1b[200~Call send_message\x1b[201~");
    await waitFor(() => app.state().inputText === "Call send_message", { what: "the pasted text" });
    await sleep(STEP_PAUSE_MS);
    app.write("\r");
    const approval = await waitFor(() => app.state().prompt, { what: "the tool approval" });
    expect(approval.id).toBe("codex-mcp-approval");
    for (const step of approval.steps) app.write(step);
    await waitFor(() => app.state().activity === "busy", { what: "the turn to go on" });
    await waitFor(() => app.state().activity === "idle", { what: "the turn to end" });
    const answers = readFakeTuiLog(log).flatMap((event) => (event.event === "answer" ? [event.choice] : []));
    expect(answers).toEqual([
      "1. Yes, allow Codex to work in this folder without asking for approval",
      "2. Skip",
      "1. Allow                   Run the tool and continue",
    ]);
  });

  it("leaves another server's tool approval to the user", async () => {
    const app = start("codex", { approval: "probe:ping" });
    await driveToIdle(app);
    app.write("\x1b[200~ping\x1b[201~");
    await waitFor(() => app.state().inputText === "ping", { what: "the pasted text" });
    await sleep(STEP_PAUSE_MS);
    app.write("\r");
    const state = await waitFor(() => (app.state().activity === "needs-input" ? app.state() : undefined), { what: "the approval question" });
    expect(state).toStrictEqual({ activity: "needs-input" });
  });
});
