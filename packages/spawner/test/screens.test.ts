import { readFileSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { KEYS, classify, classifyClaudeScreen, classifyCodexScreen, classifyCommandScreen, type ScreenState } from "../src/index.js";

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), "fixtures", "screens");
const fixture = (name: string): string => readFileSync(join(FIXTURES, name), "utf8");

const ENTER = KEYS.enter;
const DOWN = KEYS.down;
const UP = KEYS.up;

/** What each captured screen must read as (fixtures copied from real CLI runs). */
const EXPECTED: Record<string, ScreenState> = {
  "claude-01.txt": { activity: "busy", blocker: expect.objectContaining({ id: "claude-offline" }) as ScreenState["blocker"] },
  "claude-02-theme.txt": { activity: "needs-input", prompt: { id: "claude-theme", keys: ENTER, steps: [ENTER] } },
  "claude-03.txt": { activity: "needs-input", prompt: { id: "claude-security-notes", keys: ENTER, steps: [ENTER] } },
  "claude-04.txt": { activity: "needs-input", prompt: { id: "claude-folder-trust", keys: DOWN + ENTER, steps: [DOWN, ENTER] } },
  "claude-05.txt": { activity: "idle", inputText: "" },
  "claude-06-automode-classifier.txt": { activity: "needs-input" },
  "claude-07.txt": { activity: "needs-input" },
  "claude-08.txt": { activity: "idle", inputText: "" },
  "claude-09-bypass.txt": { activity: "needs-input", prompt: { id: "claude-bypass-warning", keys: DOWN + ENTER, steps: [DOWN, ENTER] } },
  "claude-10-busy.txt": { activity: "busy", inputText: "" },
  "claude-11-busy-inject.txt": { activity: "busy", inputText: "" },
  "claude-12-after-queue.txt": { activity: "idle", inputText: "" },
  "claude-13-custom-api-key.txt": { activity: "needs-input", prompt: { id: "claude-custom-api-key", keys: UP + ENTER, steps: [UP, ENTER] } },
  "claude-14-esc-interrupt.txt": { activity: "idle", inputText: "Call the probe ping tool. ping:interrupted SLOW8" },
  "claude-15-automode-offer.txt": { activity: "needs-input", prompt: { id: "claude-auto-mode-offer", keys: DOWN + ENTER, steps: [DOWN, ENTER] } },
  "claude-c5-final.txt": { activity: "idle", inputText: "" },
  "claude197-01.txt": { activity: "needs-input", prompt: { id: "claude-theme", keys: ENTER, steps: [ENTER] } },
  "claude197-02.txt": { activity: "needs-input", prompt: { id: "claude-security-notes", keys: ENTER, steps: [ENTER] } },
  "claude197-03.txt": { activity: "needs-input", prompt: { id: "claude-folder-trust", keys: ENTER, steps: [ENTER] } },
  "codex-busy-inject.txt": { activity: "idle", inputText: "" },
  "codex-busy-tab-queue.txt": { activity: "busy", inputText: "" },
  "codex-busy.txt": { activity: "busy", inputText: "" },
  "codex-esc-interrupt.txt": { activity: "idle", inputText: "" },
  "codex-f2-warnings.txt": { activity: "needs-input" },
  "codex-x3-login.txt": { activity: "needs-input", blocker: expect.objectContaining({ id: "codex-login" }) as ScreenState["blocker"] },
  "codex-x4-first.txt": { activity: "busy", inputText: "" },
  "codex-x4-mcp-approval.txt": { activity: "needs-input" },
  "codex-x5-final.txt": { activity: "idle", inputText: "" },
  "codex-x5-first.txt": { activity: "busy", inputText: "" },
  "codex-x5-task.txt": { activity: "idle", inputText: "" },
  "codex-x6-git-first.txt": { activity: "busy", inputText: "" },
  "codex-x7-trust.txt": { activity: "busy", inputText: "" },
  "codex-x8-folder-access.txt": { activity: "needs-input", prompt: { id: "codex-folder-trust", keys: ENTER, steps: [ENTER] } },
};

describe("classify on the captured screens", () => {
  it("has an expectation for every fixture", () => {
    const files = readdirSync(FIXTURES).filter((name) => name.endsWith(".txt"));
    expect(files.sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  for (const [name, expected] of Object.entries(EXPECTED)) {
    it(`reads ${name}`, () => {
      const kind = name.startsWith("codex") ? "codex" : "claude";
      expect(classify(kind, fixture(name))).toStrictEqual(expected);
    });
  }
});

describe("claude screens", () => {
  it("reads the text typed into the input line, continuation lines included", () => {
    const screen = fixture("claude-05.txt").replace("❯\u00a0\n", "❯\u00a0fix the flaky test\n  in store please\n");
    expect(classifyClaudeScreen(screen)).toStrictEqual({ activity: "idle", inputText: "fix the flaky test\nin store please" });
  });

  it("reads an input box taller than the screen by its bottom rule and footer", () => {
    const rule = "─".repeat(100);
    const typed = Array.from({ length: 46 }, (_, i) => `  Schritt ${i}: prüfe „my.project“ ✓`);
    const idle = classify("claude", [...typed, rule, "  ⏵⏵ accept edits on (shift+tab to cycle)"].join("\n"));
    expect(idle.activity).toBe("idle");
    expect(idle.inputText?.split("\n").at(-1)).toBe("Schritt 45: prüfe „my.project“ ✓");
    expect(classify("claude", [...typed, rule, "  ? for shortcuts"].join("\n")).activity).toBe("idle");
    expect(classify("claude", [...typed, rule, "  ⏵⏵ accept edits on (shift+tab to cycle) · esc to interrupt"].join("\n")).activity).toBe("busy");
    // 2.1.330 scrolls it inside its box instead, under a "↑ N more" rule.
    const scrolled = classify("claude", ["Claude Code v2.1.330", "", `─── ↑ 670 more ${rule}`, ...typed.slice(0, 10), rule, "  ⏵⏵ accept edits on (shift+tab to cycle)"].join("\n"));
    expect(scrolled.activity).toBe("idle");
    expect(scrolled.inputText?.split("\n").at(-1)).toBe("Schritt 9: prüfe „my.project“ ✓");
    // A transcript above a rule, without the input box's indentation, is no input box.
    expect(classify("claude", [...typed.slice(0, 40), "● DONE", ...typed.slice(0, 5), rule, "  ? for shortcuts"].join("\n")).activity).toBe("busy");
  });

  it("answers folder trust from the cursor position, not the version", () => {
    // 2.1.330's layout with the cursor already on "Yes" needs only Enter.
    const screen = fixture("claude-04.txt").replace(" ❯ No, exit", "   No, exit").replace("   Yes, I trust this folder", " ❯ Yes, I trust this folder");
    expect(classifyClaudeScreen(screen).prompt).toStrictEqual({ id: "claude-folder-trust", keys: ENTER, steps: [ENTER] });
    // 2.1.197's layout with the cursor moved to "No, exit" needs Up then Enter.
    const moved = fixture("claude197-03.txt").replace(" ❯ 1. Yes", "   1. Yes").replace("   2. No, exit", " ❯ 2. No, exit");
    expect(classifyClaudeScreen(moved).prompt).toStrictEqual({ id: "claude-folder-trust", keys: UP + ENTER, steps: [UP, ENTER] });
  });

  it("sees 2.1.197's busy spinner line above the input box", () => {
    const screen = [
      "❯ do something",
      "",
      "✻ Thinking… (3s · ↑ 12 tokens · esc to interrupt)",
      "",
      "─".repeat(80),
      "❯\u00a0",
      "─".repeat(80),
      "  ? for shortcuts",
    ].join("\n");
    expect(classifyClaudeScreen(screen)).toStrictEqual({ activity: "busy", inputText: "" });
    const done = screen.replace("✻ Thinking… (3s · ↑ 12 tokens · esc to interrupt)", "✻ Baked for 3s");
    expect(classifyClaudeScreen(done)).toStrictEqual({ activity: "idle", inputText: "" });
  });

  it("reports an unknown question as needs-input without a prompt", () => {
    const screen = ["─".repeat(80), " Something new happened", "", " ❯ Keep going", "   Stop", "", " Enter to confirm · Esc to cancel"].join("\n");
    expect(classifyClaudeScreen(screen)).toStrictEqual({ activity: "needs-input" });
    expect(classifyClaudeScreen(" Update installed. Press Enter to restart")).toStrictEqual({ activity: "needs-input" });
  });

  it("treats an empty or half-drawn screen as busy", () => {
    expect(classifyClaudeScreen("")).toStrictEqual({ activity: "busy" });
    expect(classifyClaudeScreen("Welcome to Claude Code v2.1.330\n....")).toStrictEqual({ activity: "busy" });
  });

  it("gives no prompt for a known question whose menu is not readable", () => {
    const screen = fixture("claude-04.txt").replace(" ❯ No, exit", "   No, exit");
    expect(classifyClaudeScreen(screen)).toStrictEqual({ activity: "needs-input" });
  });
});

describe("codex screens", () => {
  it("approves only the clustr server's tools", () => {
    const screen = fixture("codex-x4-mcp-approval.txt").replace('Allow the probe MCP server to run tool "ping"?', 'Allow the clustr MCP server to run tool "send_message"?');
    expect(classifyCodexScreen(screen)).toStrictEqual({
      activity: "needs-input",
      prompt: { id: "codex-mcp-approval", keys: ENTER, steps: [ENTER] },
    });
    expect(classifyCodexScreen(fixture("codex-x4-mcp-approval.txt")).prompt).toBeUndefined();
  });

  it("reads the text typed into the composer", () => {
    const screen = fixture("codex-x5-task.txt").replace("› Ask Codex to do anything", "› Call the probe\n  second line");
    expect(classifyCodexScreen(screen)).toStrictEqual({ activity: "idle", inputText: "Call the probe\nsecond line" });
  });

  it("reads the composer as busy until the status line shows Codex has loaded", () => {
    // The first frames show the composer before the model is known and before the trust check.
    expect(classifyCodexScreen(fixture("codex-x4-first.txt"))).toStrictEqual({ activity: "busy", inputText: "" });
    const loaded = fixture("codex-x4-first.txt").replace("  ? for shortcuts", "  fake-model default · <work>/work-codex\n  ← for agents · ? for shortcuts");
    expect(classifyCodexScreen(loaded)).toStrictEqual({ activity: "idle", inputText: "" });
  });

  it("answers the folder trust screen in its older and newer forms", () => {
    const older = [
      "> You are running Codex in /home/me/my.app",
      "",
      "  Since this folder is version controlled, you may wish to allow Codex to work in this folder without asking for approval.",
      "",
      "  1. Yes, allow Codex to work in this folder without asking for approval",
      "› 2. No, ask me to approve edits and commands",
      "",
      "  Press enter to continue",
    ].join("\n");
    expect(classifyCodexScreen(older)).toStrictEqual({
      activity: "needs-input",
      prompt: { id: "codex-folder-trust", keys: UP + ENTER, steps: [UP, ENTER] },
    });
    const newer = [
      "  Do you trust the contents of this directory? Working with untrusted contents comes with higher risk of prompt injection.",
      "",
      "› 1. Yes, continue",
      "  2. No, quit",
      "",
      "  Press enter to continue",
    ].join("\n");
    expect(classifyCodexScreen(newer)).toStrictEqual({
      activity: "needs-input",
      prompt: { id: "codex-folder-trust", keys: ENTER, steps: [ENTER] },
    });
  });

  it("skips an update offer", () => {
    const screen = [
      "  ✨ Update available! 0.169.0 -> 0.170.0",
      "",
      "› 1. Update now (runs `npm install -g @openai/codex`)",
      "  2. Skip",
      "  3. Skip until next version",
      "",
      "  Press enter to continue",
    ].join("\n");
    expect(classifyCodexScreen(screen).prompt).toStrictEqual({ id: "codex-update", keys: DOWN + ENTER, steps: [DOWN, ENTER] });
  });

  it("treats a screen before the composer appears as busy", () => {
    expect(classifyCodexScreen("\n  >_ OpenAI Codex (v0.169.0)\n")).toStrictEqual({ activity: "busy" });
  });
});

describe("command screens", () => {
  it("is idle unless the bottom lines ask something", () => {
    expect(classifyCommandScreen("building...\ndone\n$ ")).toStrictEqual({ activity: "idle" });
    expect(classifyCommandScreen("Overwrite config.json? [y/N]")).toStrictEqual({ activity: "needs-input" });
    expect(classifyCommandScreen("Setup finished.\nPress Enter to continue")).toStrictEqual({ activity: "needs-input" });
    expect(classify("command", "Pick one:\n❯ red\n  blue\n")).toStrictEqual({ activity: "needs-input" });
  });

  it("forgets a question once enough output follows it", () => {
    const screen = ["Continue? (y/n) y", "step 1", "step 2", "step 3", "step 4", "step 5"].join("\n");
    expect(classifyCommandScreen(screen)).toStrictEqual({ activity: "idle" });
  });
});
