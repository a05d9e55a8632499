// A small stand-in for the Codex CLI's TUI (0.169), drawn after captured screens: optional
// startup questions (FAKE_TUI_STARTUP: trust, update), then a `›` composer that submits on an
// Enter written on its own (Enter in the same write as typed text is a newline, as in the real
// CLI), busy for FAKE_TUI_BUSY_MS with "• Working (…• esc to interrupt)", Tab while busy queues,
// Enter while busy steers. FAKE_TUI_APPROVAL=server:tool asks "Allow the <server> MCP server to
// run tool …?" in each turn. It reads the `-c mcp_servers.<name>.*` overrides and starts those
// MCP servers like the real CLI. For FAKE_TUI_LOAD_MS (default 200) it shows a loading frame
// (composer without the status line) and drops what is typed. Everything is logged to
// FAKE_TUI_LOG.
import { FakeApp, busyMs, interestingEnv, moveCursor, startupScreens, type Menu } from "./app.js";
import type { Key } from "./keys.js";
import { connectMcp, type McpServerSpec } from "./mcp-client.js";

const reply = process.env.FAKE_TUI_REPLY ?? "DONE";
const argv = process.argv.slice(2);
const PLACEHOLDER = "Ask Codex to do anything";

interface Dialog {
  id: string;
  lines: string[];
  menu: Menu;
  /** Text before each option: the real CLI draws the trust menu at column 0, the approval indented. */
  indent: string;
  footer: string[];
  choose: (choice: string) => "continue" | number;
}

function dialog(id: string): Dialog {
  if (id === "trust") {
    return {
      id,
      lines: [`> You are running Codex in ${process.cwd()}`, "", "  Since this folder is version controlled, you may wish to allow Codex to work in this folder without asking for approval.", ""],
      // The cursor starts on "No" so that an answer has to read it.
      menu: { options: ["1. Yes, allow Codex to work in this folder without asking for approval", "2. No, ask me to approve edits and commands"], cursor: 1 },
      indent: "",
      footer: ["", "  Press enter to continue"],
      choose: (choice) => (choice.startsWith("2.") ? 1 : "continue"),
    };
  }
  if (id === "update") {
    return {
      id,
      lines: ["  ✨ Update available! 0.169.0 -> 0.170.0", ""],
      menu: { options: ["1. Update now (runs `npm install -g @openai/codex`)", "2. Skip", "3. Skip until next version"], cursor: 0 },
      indent: "",
      footer: ["", "  Press enter to continue"],
      choose: (choice) => (choice.startsWith("1.") ? 1 : "continue"),
    };
  }
  const [server = "clustr", tool = "send_message"] = id.split(":");
  return {
    id: `approval:${server}:${tool}`,
    lines: ["  Field 1/1", `  Allow the ${server} MCP server to run tool "${tool}"?`, ""],
    menu: { options: ["1. Allow                   Run the tool and continue", "2. Allow for this session  Run the tool and remember this choice for this session", "3. Always allow            Run the tool and remember this choice for future tool calls", "4. Cancel                  Cancel this tool call"], cursor: 0 },
    indent: "  ",
    footer: ["  enter to submit | esc to cancel"],
    choose: () => "continue",
  };
}

/** `-c mcp_servers.<name>.<field>=<TOML value>` overrides, read back into server specs. */
function mcpServersFromOverrides(): McpServerSpec[] {
  const servers = new Map<string, McpServerSpec>();
  for (let i = 0; i < argv.length - 1; i++) {
    if (argv[i] !== "-c") continue;
    const match = /^mcp_servers\.([A-Za-z0-9_-]+)\.(command|args|env)=(.*)$/s.exec(argv[i + 1] ?? "");
    if (!match) continue;
    const [, name = "", field, value = ""] = match;
    const spec = servers.get(name) ?? { command: "", args: [], env: {} };
    // TOML basic strings and arrays of them are JSON; an inline table of strings becomes JSON
    // once its bare keys are quoted and `=` becomes `:`.
    if (field === "command") spec.command = JSON.parse(value) as string;
    else if (field === "args") spec.args = JSON.parse(value) as string[];
    else spec.env = JSON.parse(value.replace(/([{,]\s*)([A-Za-z0-9_-]+)\s*=/g, '$1"$2":')) as Record<string, string>;
    servers.set(name, spec);
  }
  return [...servers.values()].filter((spec) => spec.command !== "");
}

let toolsReady = false;
let input = "";
const transcript: string[] = [];
const queued: string[] = [];
let busy: { text: string; timer: NodeJS.Timeout | undefined; started: number; mark: number } | undefined;
const pending = startupScreens();
let screen: Dialog | undefined;
const approval = process.env.FAKE_TUI_APPROVAL;
/** Like the real CLI, the composer shows while loading, before the status line and the trust check. */
let loading = true;

const app = new FakeApp(onKeys);
app.log({ event: "start", argv, cwd: process.cwd(), env: interestingEnv() });
for (const spec of mcpServersFromOverrides()) {
  const child = connectMcp(
    spec,
    (names) => {
      toolsReady = true;
      app.log({ event: "mcp-tools", names });
    },
    (message) => app.log({ event: "mcp-error", message }),
  );
  app.onExit(() => child.stdin?.end());
}
render();
setTimeout(() => {
  loading = false;
  nextScreen();
}, loadMs());
const ticker = setInterval(() => busy && render(), 1000);
app.onExit(() => clearInterval(ticker));

function loadMs(): number {
  const value = Number(process.env.FAKE_TUI_LOAD_MS ?? "200");
  return Number.isFinite(value) && value >= 0 ? value : 200;
}

function nextScreen(): void {
  const id = pending.shift();
  screen = id === undefined ? undefined : dialog(id);
  app.log({ event: "screen", id: screen?.id ?? "idle" });
  render();
}

function render(): void {
  const header = ["", "  >_ OpenAI Codex (v0.169.0)", `     ${process.cwd()}`, ""];
  if (screen && !busy) {
    const menu = screen.menu.options.map((option, i) => `${i === screen?.menu.cursor ? "› " : "  "}${option}`).map((line) => screen?.indent + line);
    app.draw([...screen.lines, ...menu, ...screen.footer]);
    return;
  }
  const status: string[] = [];
  if (busy) {
    const seconds = Math.floor((Date.now() - busy.started) / 1000);
    status.push(`• Working (${seconds}s • esc to interrupt)`, "");
    if (queued.length) status.push("• Queued follow-up inputs", ...queued.map((text) => `  ↳ ${text}`), "");
  }
  if (screen) {
    const menu = screen.menu.options.map((option, i) => `${screen?.indent}${i === screen?.menu.cursor ? "› " : "  "}${option}`);
    app.draw([...header, ...transcript, ...screen.lines, ...menu, ...screen.footer]);
    return;
  }
  const [first = "", ...rest] = input.split("\n");
  const composer = [`› ${input === "" ? PLACEHOLDER : first}`, ...rest.map((line) => `  ${line}`)];
  const room = Math.max(0, app.rows - header.length - status.length - composer.length - 3);
  const footer = loading ? ["  ? for shortcuts"] : [`  fake-model default · ${process.cwd()}`, "  ← for agents · ? for shortcuts"];
  app.draw([...header, ...transcript.slice(-room), ...status, ...composer, "", ...footer]);
}

function submit(text: string): void {
  app.log({ event: "submit", text, toolsReady });
  const mark = transcript.length;
  const [first = "", ...rest] = text.split("\n");
  transcript.push(`› ${first}`, ...rest.map((line) => `  ${line}`), "");
  busy = { text, timer: undefined, started: Date.now(), mark };
  if (approval) {
    // The turn waits on the tool approval before its time starts.
    screen = dialog(approval);
    app.log({ event: "screen", id: screen.id });
    return;
  }
  busy.timer = setTimeout(finish, busyMs());
}

function finish(): void {
  if (!busy) return;
  app.log({ event: "done", text: busy.text });
  transcript.push(`• ${reply}`, "", "  Worked for 1s • 00:00", "");
  busy = undefined;
  const next = queued.shift();
  if (next !== undefined) submit(next);
  render();
}

function onStartupKey(dialogScreen: Dialog, key: Key): void {
  if (moveCursor(dialogScreen.menu, key)) return;
  if (key.type === "esc" && busy && dialogScreen.id.startsWith("approval")) {
    screen = undefined;
    return interrupt();
  }
  if (key.type !== "enter") return;
  const choice = dialogScreen.menu.options[dialogScreen.menu.cursor] ?? "";
  app.log({ event: "answer", screen: dialogScreen.id, choice });
  const outcome = dialogScreen.choose(choice);
  if (outcome !== "continue") return app.exit(outcome, `Exiting (${choice})`);
  if (busy) {
    screen = undefined;
    busy.timer = setTimeout(finish, busyMs());
    return;
  }
  nextScreen();
}

function interrupt(): void {
  if (!busy) return;
  clearTimeout(busy.timer);
  app.log({ event: "interrupt", text: busy.text });
  transcript.splice(busy.mark);
  transcript.push("■ Conversation interrupted - use /feedback if something went wrong", "");
  busy = undefined;
}

function onKeys(keys: Key[]): void {
  if (loading) return;
  let typed = false;
  for (const key of keys) {
    if (key.type === "ctrl-c") return app.exit(0);
    if (screen) {
      onStartupKey(screen, key);
      continue;
    }
    switch (key.type) {
      case "text":
        input += key.text;
        typed = true;
        break;
      case "paste":
        input += key.text;
        break;
      case "backspace":
        input = input.slice(0, -1);
        break;
      case "enter":
        // Typed text and Enter in one write read as a newline, not a submit (a paste burst).
        if (typed) input += "\n";
        else if (input.trim() !== "") {
          if (busy) {
            // Enter while busy steers: the turn in flight is dropped and resent with the new text.
            app.log({ event: "interrupt", text: busy.text });
            clearTimeout(busy.timer);
            transcript.splice(busy.mark);
            busy = undefined;
          }
          submit(input);
          input = "";
        }
        break;
      case "tab":
        if (busy && input.trim() !== "") {
          queued.push(input);
          app.log({ event: "queued", text: input });
          input = "";
        }
        break;
      case "esc":
        interrupt();
        break;
      default:
        break;
    }
  }
  render();
}
