// The dashboard journey with a real Claude Code agent: the real CLI (installed by the e2e
// tooling into its cache) runs in a pty under the real clustr-ai server, against a fake Anthropic
// model on loopback whose replies are scripted by the `CALL` lines of the task. Everything the
// user does goes through the built dashboard in a real Chromium.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import type { Agent } from "@clustr/protocol";
import { claudeEnv, DONE_TEXT, requireCli, startFakeAnthropic, writeClaudeUserConfig, type E2eCliId, type FakeModelServer, type RecordedRequest } from "@clustr/e2e-tools";
import { checkPrerequisites, drawnEdges, launchBrowser, openDashboard, snap, startServer, stopServer, type RunningServer } from "./browser-harness.js";

/** Both Claude Code versions the e2e tooling installs: their screens differ. */
const CLIS: E2eCliId[] = ["claude-2.1.197", "claude-2.1.330"];
/** How long a step that waits on the CLI may take on a busy 2-core machine (no timing is asserted). */
const AGENT_TIMEOUT_MS = 150_000;
const STEP_TIMEOUT_MS = AGENT_TIMEOUT_MS + 60_000;

const PLAN = "ship the dashboard journey";
const HELLO = "hello helper, from lead";
const WRITTEN = "written by lead\n";
const TYPED = "What did you change?";
const call = (tool: string, input: Record<string, unknown>): string => `CALL ${tool} ${JSON.stringify(input)}`;

describe.each(CLIS)("dashboard in a browser with a real Claude Code agent (%s)", (CLI) => {
  let root: string;
  let project: string;
  let helperDir: string;
  let task: string;
  let model: FakeModelServer;
  let server: RunningServer | undefined;
  let browser: Browser | undefined;
  let page: Page;

  beforeAll(async () => {
    checkPrerequisites();
    const claude = await requireCli(CLI);
    root = realpathSync(mkdtempSync(join(tmpdir(), "clustr-dashboard-claude-")));
    // A git repository Claude has never seen, its name with a dot like many real ones.
    project = join(root, "my.project");
    helperDir = join(root, "helper");
    const home = join(root, "home");
    for (const dir of [project, helperDir, home]) mkdirSync(dir);
    writeFileSync(join(project, "README.md"), "# a project\n");
    execFileSync("git", ["init", "-q"], { cwd: project });
    task = [
      "Share the plan, greet the helper and leave a file behind.",
      call("set_context", { key: "plan", value: PLAN }),
      call("send_message", { to: "helper", body: HELLO }),
      call("Write", { file_path: join(project, "hello.txt"), content: WRITTEN }),
    ].join("\n");

    model = await startFakeAnthropic();
    // A returning user: onboarding done, this key approved, some other project trusted.
    const configDir = join(root, "claude-config");
    writeClaudeUserConfig(configDir, model.apiKey, join(root, "older.project"));
    const env: NodeJS.ProcessEnv = { ...claudeEnv({ home, configDir, model }), CLUSTR_CLAUDE_BIN: claude };
    server = await startServer(join(root, "data"), project, env);
    browser = await launchBrowser();
    page = await openDashboard(browser, server.started);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await stopServer(server?.child);
    await model?.close();
    if (root) rmSync(root, { recursive: true, force: true });
  }, 60_000);

  /** Screenshots as `claude-<version>-<view>.png`. */
  const shot = (view: string): Promise<void> => snap(page, `${CLI}-${view}`);
  const agentButton = (name: string) => page.locator("aside.agents").getByRole("button", { name: new RegExp(`^${name}`) });
  const terminalRows = () => page.locator(".xterm").first().locator(".xterm-rows");

  async function agentNamed(name: string): Promise<Agent> {
    const listed = await page.evaluate(() => fetch("/api/agents").then((r) => r.json() as Promise<{ agents: Agent[] }>));
    const agent = listed.agents.find((a) => a.name === name);
    if (!agent) throw new Error(`no agent named ${name}: ${JSON.stringify(listed.agents.map((a) => a.name))}`);
    return agent;
  }

  /** The model's conversation requests from one agent, told apart by the identity in their system prompt. */
  function turnsOf(agent: Agent): RecordedRequest[] {
    return model.turns().filter((r) => r.view?.system.includes(`You are agent ${agent.name} (id ${agent.id})`));
  }

  /** Run a step; when it fails, add what the model received, the server printed and the lead's screen. */
  async function explained(body: () => Promise<void>): Promise<void> {
    try {
      await body();
    } catch (error) {
      const requests = model.requests
        .map((r) => `${r.method} ${r.path} ${r.status} ${r.kind} users=${JSON.stringify(r.view?.userTexts ?? []).slice(0, 300)} -> ${JSON.stringify(r.action ?? null).slice(0, 200)}`)
        .join("\n");
      const screen = await page
        .evaluate(async () => {
          const listed = (await fetch("/api/agents").then((r) => r.json())) as { agents: Agent[] };
          const lead = listed.agents.find((a) => a.name === "lead");
          if (!lead) return "(no lead)";
          const answer = (await fetch(`/api/agents/${lead.id}/screen`).then((r) => r.json())) as { screen?: string };
          return `${lead.status}/${lead.activity ?? "-"} ${JSON.stringify(lead.error)}\n${answer.screen ?? ""}`;
        })
        .catch((e: unknown) => `(no screen: ${(e as Error).message})`);
      throw new Error(`${(error as Error).message}\n--- model requests ---\n${requests}\n--- server ---\n${server?.stderr() ?? ""}\n--- lead ---\n${screen}`, {
        cause: error,
      });
    }
  }

  it("opens from the token URL on a clean address", async () => {
    expect(page.url()).toBe(`${server?.started.url}/`);
    await expect.poll(() => page.locator("aside.agents").textContent(), { timeout: 20_000 }).toContain("No agents yet");
  }, 60_000);

  it(
    "spawns a Claude agent from the form, shows its progress and renders its Claude Code screen",
    () =>
      explained(async () => {
        // A command agent to talk to: it just echoes what it is told.
        const created = await page.evaluate(
          (body) => fetch("/api/agents", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) }).then((r) => r.status),
          { name: "helper", kind: "command", command: "cat", args: [], cwd: helperDir, task: "helper ready" },
        );
        expect(created).toBe(201);
        await expect.poll(() => agentButton("helper").textContent(), { timeout: 30_000 }).toMatch(/command · (idle|busy)/);

        await page.getByRole("banner").getByRole("button", { name: "New agent" }).click();
        const dialog = page.getByRole("dialog", { name: "New agent" });
        await dialog.getByLabel("Name", { exact: true }).fill("lead");
        await dialog.getByLabel("Kind").selectOption("claude");
        await dialog.getByLabel("Folder").fill(project);
        await dialog.getByLabel("Task").fill(task);
        await dialog.getByRole("button", { name: "Spawn" }).click();
        const progress = page.getByRole("dialog").getByRole("status");
        await expect.poll(() => progress.textContent(), { timeout: 20_000 }).toMatch(/Starting…|Running/);
        await shot("spawn");
        await expect.poll(() => progress.textContent(), { timeout: AGENT_TIMEOUT_MS }).toMatch(/Running.*The task has been handed over/);
        await page.getByRole("dialog").getByRole("button", { name: "Open terminal" }).click();

        expect(await page.getByRole("tab", { name: /Terminal/ }).getAttribute("aria-selected")).toBe("true");
        // Claude Code's own screen: its input prompt between the rules of its input box.
        await expect.poll(() => terminalRows().textContent(), { timeout: AGENT_TIMEOUT_MS }).toMatch(/❯[\s\S]*─{10}|─{10}[\s\S]*❯/);
        // The scripted turn ends with the model's closing text, which Claude prints.
        await expect.poll(() => terminalRows().textContent(), { timeout: AGENT_TIMEOUT_MS }).toContain(DONE_TEXT);
        await expect.poll(() => agentButton("lead").textContent(), { timeout: AGENT_TIMEOUT_MS }).toMatch(/claude · idle/);
        await shot("terminal");
      }),
    STEP_TIMEOUT_MS,
  );

  it(
    "hands the task to the model as the first user turn, with the identity in the system prompt",
    () =>
      explained(async () => {
        const lead = await agentNamed("lead");
        const turns = turnsOf(lead);
        expect(turns.length).toBeGreaterThan(0);
        expect(turns[0]?.view?.userTexts[0]).toBe(task);
        expect(turns[0]?.view?.system).toContain(`You are agent lead (id ${lead.id}) in a Clustr workspace`);
        // Every scripted call ran: the model got the results of its three tools and closed the turn.
        const ended = turns.find((r) => r.action?.kind === "text" && r.action.text === DONE_TEXT && r.view?.userTexts.at(-1) === task);
        expect(ended?.view?.resultsSinceUserText.map((r) => r.name)).toEqual(["mcp__clustr__set_context", "mcp__clustr__send_message", "Write"]);
      }),
    60_000,
  );

  it(
    "shows the model's message in the feed and as an arrow in the graph",
    () =>
      explained(async () => {
        const [lead, helper] = [await agentNamed("lead"), await agentNamed("helper")];
        await page.getByRole("tab", { name: "Messages" }).click();
        const row = page.getByRole("tabpanel", { name: "Messages" }).locator("tbody tr").first();
        await expect.poll(() => row.textContent(), { timeout: 30_000 }).toMatch(/lead → helper\s*(queued|delivered|read)\s*hello helper, from lead/);
        // The helper is idle, so the notice is typed into its terminal and the message is delivered.
        await expect.poll(() => row.textContent(), { timeout: 30_000 }).toMatch(/lead → helper\s*delivered/);
        await shot("messages");
        await page.getByRole("tab", { name: "Graph" }).click();
        await expect.poll(() => drawnEdges(page), { timeout: 20_000 }).toContainEqual({ source: lead.id, target: helper.id, type: "message" });
        await shot("graph");
      }),
    60_000,
  );

  it(
    "shows the note the model set, and the user edits it",
    () =>
      explained(async () => {
        await page.getByRole("tab", { name: "Context" }).click();
        const table = page.getByRole("tabpanel", { name: "Context" }).locator("tbody");
        await expect.poll(() => table.textContent(), { timeout: 30_000 }).toMatch(/plan\s*ship the dashboard journey\s*lead\s*1/);
        await page.getByRole("button", { name: "Edit plan" }).click();
        await page.getByLabel("Value").fill("ship it today");
        await page.getByRole("button", { name: "Save", exact: true }).click();
        await expect.poll(() => table.textContent(), { timeout: 20_000 }).toMatch(/plan\s*ship it today\s*user\s*2/);
        await shot("context");
      }),
    60_000,
  );

  it(
    "saves the rules and the running Claude agent is told",
    () =>
      explained(async () => {
        const lead = await agentNamed("lead");
        await page.getByRole("tab", { name: "Rules" }).click();
        await page.getByRole("textbox", { name: "Rules" }).fill("Say what you changed.");
        await page.getByRole("button", { name: "Save", exact: true }).click();
        await expect.poll(() => page.getByRole("tabpanel", { name: "Rules" }).getByRole("status").textContent(), { timeout: 20_000 }).toMatch(
          /The 2 running agents were told/,
        );
        await shot("rules");
        // The notice reaches Claude at its idle moment, as a user turn of its own.
        await expect
          .poll(() => turnsOf(lead).some((r) => /^\[clustr\] rules updated \(call get_rules\)/.test(r.view?.userTexts.at(-1) ?? "")), { timeout: AGENT_TIMEOUT_MS })
          .toBe(true);
        await expect.poll(() => agentButton("lead").textContent(), { timeout: AGENT_TIMEOUT_MS }).toMatch(/claude · idle/);
      }),
    STEP_TIMEOUT_MS,
  );

  it(
    "logs the file Claude wrote and shows it in the agent's diff",
    () =>
      explained(async () => {
        expect(readFileSync(join(project, "hello.txt"), "utf8")).toBe(WRITTEN);
        await page.getByRole("tab", { name: "Files" }).click();
        const files = page.getByRole("tabpanel", { name: "Files" }).locator("tbody");
        await expect.poll(() => files.textContent(), { timeout: 30_000 }).toMatch(/added\s*hello\.txt\s*lead/);
        await shot("files");

        await agentButton("lead").click();
        const panel = page.getByRole("complementary", { name: "Agent details" });
        await panel.getByRole("button", { name: "Diff" }).click();
        const diff = panel.getByRole("region", { name: "Diff" });
        await expect.poll(() => diff.textContent(), { timeout: 30_000 }).toMatch(/added\s*hello\.txt/i);
        expect(await diff.locator(".patch").first().textContent()).toContain("+written by lead");
        await shot("diff");
      }),
    60_000,
  );

  it(
    "rolls the agent's change back from the dashboard and undoes the rollback",
    () =>
      explained(async () => {
        const panel = page.getByRole("complementary", { name: "Agent details" });
        await panel.getByRole("button", { name: "Roll back…" }).click();
        const preview = panel.getByRole("region", { name: "Rollback preview" });
        await expect.poll(() => preview.textContent(), { timeout: 30_000 }).toMatch(/added\s*hello\.txt/i);
        await preview.getByRole("button", { name: /^Roll back \d+ files?$/ }).click();
        await expect.poll(() => panel.getByRole("status").first().textContent(), { timeout: 30_000 }).toMatch(/Rolled back \d+ files?/);
        expect(existsSync(join(project, "hello.txt"))).toBe(false);
        expect(readFileSync(join(project, "README.md"), "utf8")).toBe("# a project\n");
        await shot("rollback");

        await panel.getByRole("button", { name: "Undo rollback" }).click();
        await expect.poll(() => panel.getByRole("status").first().textContent(), { timeout: 30_000 }).toMatch(/The rollback was undone/);
        expect(readFileSync(join(project, "hello.txt"), "utf8")).toBe(WRITTEN);
      }),
    90_000,
  );

  it(
    "sends what the user types in the terminal to Claude, whose model answers it",
    () =>
      explained(async () => {
        const lead = await agentNamed("lead");
        await page.getByRole("tab", { name: "Terminal" }).click();
        const before = turnsOf(lead).length;
        const terminal = page.locator(".xterm").first();
        await terminal.click();
        await page.keyboard.type(TYPED);
        await expect.poll(() => terminalRows().textContent(), { timeout: 30_000 }).toContain(TYPED);
        await page.keyboard.press("Enter");
        const answered = () => turnsOf(lead).slice(before).find((r) => r.view?.userTexts.at(-1) === TYPED && r.action?.kind === "text");
        await expect.poll(() => answered() !== undefined, { timeout: AGENT_TIMEOUT_MS }).toBe(true);
        expect(answered()?.action).toEqual({ kind: "text", text: DONE_TEXT });
        await expect.poll(() => agentButton("lead").textContent(), { timeout: AGENT_TIMEOUT_MS }).toMatch(/claude · idle/);
        await shot("typed");
      }),
    STEP_TIMEOUT_MS,
  );
});
