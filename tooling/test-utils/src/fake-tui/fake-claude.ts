// A small stand-in for Claude Code's TUI, drawn after captured screens of 2.1.330 and 2.1.197:
// optional startup questions (FAKE_TUI_STARTUP), then an input box between `─` rules that
// submits on Enter, stays busy for FAKE_TUI_BUSY_MS with a spinner and "esc to interrupt",
// queues what is submitted while busy, and logs everything to FAKE_TUI_LOG. It accepts the real
// CLI's flags and starts the MCP servers of --mcp-config like the real one.
import { readFileSync } from "node:fs";
import { FakeApp, busyMs, interestingEnv, moveCursor, startupScreens, type Menu } from "./app.js";
import type { Key } from "./keys.js";
import { connectMcp, type McpServerSpec } from "./mcp-client.js";

const version = process.env.FAKE_TUI_VERSION ?? "2.1.330";
const old = version.startsWith("2.1.197");
const reply = process.env.FAKE_TUI_REPLY ?? "DONE";
const argv = process.argv.slice(2);

interface StartupScreen {
  id: string;
  lines: string[];
  menu?: Menu;
  footer: string[];
  /** What choosing an option does: go on, or exit with this code. */
  choose: (choice: string) => "continue" | number;
}

function startupScreen(id: string): StartupScreen {
  const goOn = (): "continue" => "continue";
  switch (id) {
    case "theme":
      return {
        id,
        lines: [`Welcome to Claude Code v${version}`, "", " Let's get started.", "", " Choose the text style that looks best with your terminal", " To change this later, run /theme", ""],
        menu: { options: old ? ["1. Dark mode", "2. Light mode", "3. Light mode (colorblind-friendly)"] : ["Auto (match terminal)", "Dark mode", "Light mode"], cursor: 0 },
        footer: ["", "  Syntax theme: Monokai Extended (ctrl+t to disable)"],
        choose: goOn,
      };
    case "security":
      return {
        id,
        lines: [" Security notes:", "", " 1. Claude can make mistakes.", "", " 2. Due to prompt injection risks, only use it with code you trust", "", ` Press Enter to continue${old ? "…" : ""}`],
        footer: [],
        choose: goOn,
      };
    case "trust":
      return {
        id,
        lines: [
          app.rule(),
          " Accessing workspace:",
          "",
          ` ${process.cwd()}`,
          "",
          " Quick safety check: Is this a project you created or one you trust?",
          "",
          " Claude Code'll be able to read, edit, and execute files here.",
          "",
        ],
        // 2.1.197 starts on "Yes", 2.1.330 on "No, exit".
        menu: old ? { options: ["1. Yes, I trust this folder", "2. No, exit"], cursor: 0 } : { options: ["No, exit", "Yes, I trust this folder"], cursor: 0 },
        footer: ["", " Enter to confirm · Esc to cancel"],
        choose: (choice) => (/No, exit/.test(choice) ? 1 : "continue"),
      };
    case "api-key":
      return {
        id,
        lines: [app.rule(), "  Detected a custom API key in your environment", "", "  ANTHROPIC_API_KEY: sk-ant-...fakefakefake", "", "  Do you want to use this API key?", ""],
        menu: { options: ["Yes", "No (recommended)"], cursor: 1 },
        footer: ["", "  Enter to confirm · Esc to cancel"],
        choose: goOn,
      };
    case "bypass":
      return {
        id,
        lines: [app.rule(), "  WARNING: Claude Code running in Bypass Permissions mode", "", "  By proceeding, you accept all responsibility for actions taken while running in Bypass Permissions mode.", ""],
        menu: { options: ["No, exit", "Yes, I accept"], cursor: 0 },
        footer: ["", "  Enter to confirm · Esc to cancel"],
        choose: (choice) => (/No, exit/.test(choice) ? 1 : "continue"),
      };
    case "auto-mode":
      return {
        id,
        lines: [app.rule(), "  Make auto mode your default permission mode?", ""],
        menu: { options: ["Yes, set auto mode as my default permission mode", "No, keep accept edits"], cursor: 0 },
        footer: [],
        choose: goOn,
      };
    default:
      // A question no recogniser knows: it must read as needs-input without a prompt.
      return {
        id,
        lines: [app.rule(), "  Something unexpected needs an answer", ""],
        menu: { options: ["Continue", "Stop"], cursor: 0 },
        footer: ["", "  Enter to confirm · Esc to cancel"],
        choose: (choice) => (choice === "Stop" ? 1 : "continue"),
      };
  }
}

/**
 * 2.1.330 keeps a paste of more than 800 characters or of 4 lines or more as "[Pasted text #N]"
 * and submits it wrapped in `<pasted_content>` tags, as the real one does (2.1.197 does not).
 */
const PASTE_WRAP_CHARS = 800;
const PASTE_WRAP_LINES = 4;
const pastes = new Map<string, string>();

let toolsReady = false;
let input = "";
const transcript: string[] = [];
const queued: string[] = [];
let busy: { text: string; timer: NodeJS.Timeout; mark: number } | undefined;
const pending = startupScreens();
let screen: StartupScreen | undefined;

const app = new FakeApp(onKeys);
app.log({ event: "start", argv, cwd: process.cwd(), env: interestingEnv() });
startMcp();
nextScreen();

function flagValue(flag: string): string | undefined {
  const index = argv.indexOf(flag);
  return index >= 0 ? argv[index + 1] : undefined;
}

function startMcp(): void {
  const file = flagValue("--mcp-config");
  if (!file) return;
  const config = JSON.parse(readFileSync(file, "utf8")) as { mcpServers?: Record<string, McpServerSpec> };
  for (const spec of Object.values(config.mcpServers ?? {})) {
    const child = connectMcp(
      { command: spec.command, args: spec.args ?? [], env: spec.env ?? {} },
      (names) => {
        toolsReady = true;
        app.log({ event: "mcp-tools", names });
      },
      (message) => app.log({ event: "mcp-error", message }),
    );
    app.onExit(() => child.stdin?.end());
  }
}

function nextScreen(): void {
  const id = pending.shift();
  screen = id === undefined ? undefined : startupScreen(id);
  app.log({ event: "screen", id: screen?.id ?? "idle" });
  render();
}

function render(): void {
  if (screen) {
    const menu = screen.menu ? screen.menu.options.map((option, i) => `${i === screen?.menu?.cursor ? " ❯ " : "   "}${option}`) : [];
    app.draw([...screen.lines, ...menu, ...screen.footer]);
    return;
  }
  const header = [` ▐▛███▜▌   Claude Code v${version}`, "▝▜█████▛▘  Fake model · API Usage Billing", `  ▘▘ ▝▝    ${process.cwd()}`, ""];
  const status: string[] = [];
  if (busy) {
    status.push(...queued.map((text) => `❯ ${text}`), ...(queued.length ? ["  ⎿  Queued · ctrl+x ctrl+s to send now"] : []));
    status.push(old ? "✻ Thinking… (1s · esc to interrupt)" : "✶ Working…");
  }
  const [first = "", ...rest] = input.split("\n");
  const box = [app.rule(), `❯\u00a0${first}`, ...rest.map((line) => `  ${line}`), app.rule()];
  const footer = old ? "  ? for shortcuts" : `  ⏵⏵ accept edits on (shift+tab to cycle)${busy ? " · esc to interrupt" : ""}`;
  const room = Math.max(0, app.rows - header.length - status.length - box.length - 3);
  app.draw([...header, ...transcript.slice(-room), "", ...status, "", ...box, footer]);
}

function submit(text: string): void {
  if (busy) {
    queued.push(text);
    app.log({ event: "queued", text });
    return;
  }
  app.log({ event: "submit", text, toolsReady });
  const mark = transcript.length;
  const [first = "", ...rest] = text.split("\n");
  transcript.push(`❯ ${first}`, ...rest.map((line) => `  ${line}`), "");
  busy = { text, timer: setTimeout(finish, busyMs()), mark };
}

function expandPastes(text: string): string {
  let out = text;
  for (const [placeholder, pasted] of pastes) {
    const id = Math.random().toString(16).slice(2, 6);
    out = out.replace(placeholder, `\n\n<pasted_content id="${id}">\n${pasted}\n</pasted_content id="${id}">\n`);
  }
  return out;
}

function finish(): void {
  if (!busy) return;
  app.log({ event: "done", text: busy.text });
  transcript.push(`● ${reply}`, "", "✻ Baked for 1s", "");
  busy = undefined;
  const next = queued.shift();
  if (next !== undefined) submit(next);
  render();
}

function onKey(key: Key): void {
  if (key.type === "ctrl-c") return app.exit(0);
  if (screen) {
    if (screen.menu && moveCursor(screen.menu, key)) return;
    if (key.type !== "enter") return;
    const choice = screen.menu ? (screen.menu.options[screen.menu.cursor] ?? "") : "Enter";
    app.log({ event: "answer", screen: screen.id, choice });
    const outcome = screen.choose(choice);
    if (outcome !== "continue") return app.exit(outcome, `Exiting (${choice})`);
    return nextScreen();
  }
  switch (key.type) {
    case "text":
      input += key.text;
      return;
    case "paste":
      if (!old && (key.text.length > PASTE_WRAP_CHARS || key.text.split("\n").length >= PASTE_WRAP_LINES)) {
        const placeholder = `[Pasted text #${pastes.size + 1}]`;
        pastes.set(placeholder, key.text);
        input += placeholder;
      } else {
        input += key.text;
      }
      return;
    case "backspace":
      input = input.slice(0, -1);
      return;
    case "enter":
      if (input.trim() !== "") submit(expandPastes(input));
      input = "";
      pastes.clear();
      return;
    case "esc":
      if (busy) {
        // Esc before the reply cancels the turn and gives the text back, as the real CLI does.
        clearTimeout(busy.timer);
        app.log({ event: "interrupt", text: busy.text });
        input = busy.text;
        transcript.splice(busy.mark);
        busy = undefined;
      }
      return;
    default:
      return;
  }
}

function onKeys(keys: Key[]): void {
  for (const key of keys) onKey(key);
  render();
}
