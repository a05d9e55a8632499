import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fakeClaudeScript, fakeCodexScript, fakeTuiEnv, readFakeTuiLog, waitFor } from "@clustr/test-utils";
import { describe, expect, it } from "vitest";
import { CLAUDE_PASTE_PIECES, classify, inject, inputShowsText, type ScreenState } from "../src/index.js";
import { fixture, usePtyTestBed } from "./helpers.js";

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const bed = usePtyTestBed("clustr-inject-");
const start = bed.start;

const lines = (file: string): string[] => (existsSync(file) ? readFileSync(file, "utf8").split("\n").filter((l) => l !== "") : []);

describe("inject into a real bash", () => {
  it("types hostile text as one inert line, submits exactly once, and leaves the shell usable", { timeout: 30_000 }, async () => {
    const prompts = join(bed.tmp.path, "prompts");
    const marker = join(bed.tmp.path, "marker");
    const bash = start({
      file: "bash",
      args: ["--norc", "--noprofile"],
      cwd: bed.tmp.path,
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: bed.tmp.path, PS1: "PROMPT> ", HISTFILE: "/dev/null", PROMPT_COMMAND: `echo x >> ${prompts}` },
    });
    await waitFor(() => lines(prompts).length === 1, { what: "first prompt" });
    await waitFor(() => bash.bracketedPasteMode, { what: "bash to turn on bracketed paste" });

    const hostile = [
      "# a comment that tries to escape",
      "\x1b[201~", // end the paste early
      "\r",
      `touch ${marker}`,
      "\x03", // ^C
      "\x15", // ^U
      "\x1a", // ^Z
      `\x9b31m\x9b2J`, // C1 CSI
      `\x1b]52;c;${Buffer.from(`touch ${marker}`).toString("base64")}\x07`, // OSC 52 clipboard write
      `\x9d52;c;eA==\x9c`, // C1 OSC
      `\n touch ${marker}`,
    ].join(" ");
    const result = await inject(bash, hostile);
    expect(result.submits).toBe(1);
    expect(result.text).not.toMatch(/[\x00-\x08\x0a-\x1f\x7f-\x9f]/);

    await waitFor(() => lines(prompts).length === 2, { what: "the prompt after the one submit" });
    await sleep(500);
    expect(lines(prompts)).toHaveLength(2);
    expect(existsSync(marker)).toBe(false);

    const ok = join(bed.tmp.path, "ok");
    await inject(bash, `echo ok > ${ok}`);
    await waitFor(() => existsSync(ok) && readFileSync(ok, "utf8") === "ok\n", { what: "echo ok > file" });
    await waitFor(() => lines(prompts).length === 3, { what: "third prompt" });
    expect(existsSync(marker)).toBe(false);
  });

  it("types plain text, with no paste markers, into a program that never asked for bracketed paste", async () => {
    const session = start({ file: "cat", cwd: bed.tmp.path });
    await sleep(200);
    expect(session.bracketedPasteMode).toBe(false);
    const result = await inject(session, "hello\x1b[201~there", { settleMs: 100 });
    expect(result).toEqual({ text: "hello [201~there", submits: 1, confirmed: false });
    // The terminal echoes the line, then cat prints it: neither holds a paste marker.
    await waitFor(() => session.scrollback() === "hello [201~there\r\nhello [201~there\r\n", { what: "cat's echo" });
  });
});

describe("inject with a classifier", () => {
  // Screen reading for the enter-tui fixture: "> text" is idle with that input, "BUSY" is busy.
  const readPrompt = (screen: string): ScreenState => {
    const first = screen.split("\n")[0] ?? "";
    if (first.startsWith("BUSY")) return { activity: "busy" };
    if (first.startsWith(">")) return { activity: "idle", inputText: first.slice(2) };
    return { activity: "busy" };
  };

  const startTui = (ignoreEnters: number, log: string) =>
    start({ file: process.execPath, args: [fixture("enter-tui.mjs"), String(ignoreEnters), log], cwd: bed.tmp.path, classify: readPrompt });

  it("confirms a submit that the program takes at once", async () => {
    const log = join(bed.tmp.path, "log");
    const tui = startTui(0, log);
    await waitFor(() => tui.activity === "idle", { what: "idle" });
    const result = await inject(tui, "first task");
    expect(result).toEqual({ text: "first task", submits: 1, confirmed: true });
    expect(lines(log)).toEqual([JSON.stringify("first task")]);
  });

  it("presses Enter again while the input still shows the text and the program is idle", async () => {
    const log = join(bed.tmp.path, "log");
    const tui = startTui(1, log);
    await waitFor(() => tui.activity === "idle", { what: "idle" });
    const result = await inject(tui, "second try", { confirmMs: 700 });
    expect(result).toEqual({ text: "second try", submits: 2, confirmed: true });
    await sleep(300);
    expect(lines(log)).toEqual([JSON.stringify("second try")]);
  });

  it("gives up after maxSubmits and says it was not confirmed", async () => {
    const log = join(bed.tmp.path, "log");
    const tui = startTui(100, log);
    await waitFor(() => tui.activity === "idle", { what: "idle" });
    const result = await inject(tui, "never taken", { confirmMs: 400, maxSubmits: 3 });
    expect(result).toEqual({ text: "never taken", submits: 3, confirmed: false });
    expect(lines(log)).toEqual([]);
    expect(tui.screenState?.inputText).toBe("never taken");
  });

  it("types without submitting when asked, and refuses a program that has exited", async () => {
    const log = join(bed.tmp.path, "log");
    const tui = startTui(0, log);
    await waitFor(() => tui.activity === "idle", { what: "idle" });
    const result = await inject(tui, "draft only", { submit: false });
    expect(result).toEqual({ text: "draft only", submits: 0, confirmed: false });
    await waitFor(() => tui.screenState?.inputText === "draft only", { what: "draft on the input line" });
    await sleep(300);
    expect(lines(log)).toEqual([]);
    tui.kill();
    await tui.exited;
    await expect(inject(tui, "too late")).rejects.toMatchObject({ code: "process_exited" });
  });

  it("recognises the text on an input line", () => {
    expect(inputShowsText("fix the bug in parser.ts", "fix the bug in parser.ts please")).toBe(true);
    expect(inputShowsText("[Pasted text #1 +12 lines]", "long\ntext")).toBe(true);
    expect(inputShowsText("[Pasted Content 1325 chars]", "long\ntext")).toBe(true);
    expect(inputShowsText("", "anything")).toBe(false);
    expect(inputShowsText(undefined, "anything")).toBe(false);
    expect(inputShowsText("something else", "fix the bug")).toBe(false);
  });
});

describe("inject into the fake CLIs", () => {
  it("submits a multi-line task to the fake Claude Code exactly once", { timeout: 30_000 }, async () => {
    const log = join(bed.tmp.path, "claude.log");
    const claude = start({
      file: process.execPath,
      args: [fakeClaudeScript],
      cwd: bed.tmp.path,
      env: { PATH: process.env.PATH ?? "", ...fakeTuiEnv({ log, busyMs: 800 }) },
      classify: (text) => classify("claude", text),
    });
    await waitFor(() => claude.activity === "idle", { what: "claude idle" });
    const result = await inject(claude, "line one\nline two\x03", { multiline: true });
    expect(result.confirmed).toBe(true);
    expect(result.submits).toBe(1);
    const submits = () => readFakeTuiLog(log).filter((e) => e.event === "submit");
    await waitFor(() => submits().length === 1, { what: "submit logged" });
    expect(submits()[0]).toMatchObject({ text: "line one\nline two " });
  });

  it("pastes a long multi-line task in pieces, so Claude Code 2.1.330 submits it as written", { timeout: 60_000 }, async () => {
    const task = Array.from({ length: 12 }, (_, i) => `Schritt ${i}: prüfe „my.project“ — naïve café 日本語 ✓ 🚀 ${"lorem ipsum ".repeat(i % 9)}`).join("\n");
    expect(task.length).toBeGreaterThan(1000);
    const startClaude = (log: string) =>
      start({
        file: process.execPath,
        args: [fakeClaudeScript],
        cwd: bed.tmp.path,
        env: { PATH: process.env.PATH ?? "", ...fakeTuiEnv({ log, busyMs: 800, version: "2.1.330" }) },
        classify: (text) => classify("claude", text),
        // Room for the whole input box: the fake draws every line of it.
        cols: 200,
        rows: 50,
      });
    const submitted = async (log: string) => {
      await waitFor(() => readFakeTuiLog(log).some((e) => e.event === "submit"), { what: "submit logged" });
      return readFakeTuiLog(log).filter((e) => e.event === "submit");
    };

    // One paste of it is wrapped, as the real 2.1.330 does.
    const wholeLog = join(bed.tmp.path, "whole.log");
    const whole = startClaude(wholeLog);
    await waitFor(() => whole.activity === "idle", { what: "claude idle" });
    await inject(whole, task, { multiline: true });
    const [wrapped] = await submitted(wholeLog);
    expect(wrapped?.text).toMatch(/^\n\n<pasted_content id="[0-9a-f]*">\n/);

    const log = join(bed.tmp.path, "pieces.log");
    const claude = startClaude(log);
    await waitFor(() => claude.activity === "idle", { what: "claude idle" });
    const result = await inject(claude, task, { multiline: true, pieces: CLAUDE_PASTE_PIECES });
    expect(result).toMatchObject({ text: task, submits: 1, confirmed: true });
    const submits = await submitted(log);
    expect(submits).toHaveLength(1);
    expect(submits[0]?.text).toBe(task);
  });

  it("never presses Enter into a busy Codex", { timeout: 30_000 }, async () => {
    const log = join(bed.tmp.path, "codex.log");
    const codex = start({
      file: process.execPath,
      args: [fakeCodexScript],
      cwd: bed.tmp.path,
      env: { PATH: process.env.PATH ?? "", ...fakeTuiEnv({ log, busyMs: 4000 }) },
      classify: (text) => classify("codex", text),
    });
    await waitFor(() => codex.activity === "idle", { what: "codex idle" });
    const first = await inject(codex, "long running turn");
    expect(first.confirmed).toBe(true);
    await waitFor(() => codex.activity === "busy", { what: "codex busy" });
    const second = await inject(codex, "do not steer", { idleWaitMs: 1000 });
    expect(second).toMatchObject({ submits: 0, confirmed: false, skipped: "not-idle" });
    const events = readFakeTuiLog(log);
    expect(events.filter((e) => e.event === "submit")).toHaveLength(1);
    expect(events.some((e) => e.event === "interrupt")).toBe(false);
  });
});
