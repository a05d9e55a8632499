import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChildProcess } from "node:child_process";
import type { Browser, Page } from "playwright-core";
import {
  VIEWS,
  checkPrerequisites,
  drawnEdges,
  launchBrowser,
  openDashboard as openPage,
  snap,
  startServer,
  startWorkspaceServer,
  stopServer,
  startLiveWorkspace,
  type LiveWorkspace,
  type Started,
} from "./browser-harness.js";

// The built dashboard in a real Chromium, served by the real clustr-ai server, with command
// agents (browser-claude.test.ts runs the same journey with a real Claude Code agent).
describe("dashboard in a browser, served by clustr-ai", () => {
  let dataDir: string;
  let child: ChildProcess | undefined;
  let started: Started;
  let browser: Browser;

  beforeAll(async () => {
    checkPrerequisites();
    dataDir = mkdtempSync(join(tmpdir(), "clustr-dashboard-"));
    ({ child, started } = await startServer(join(dataDir, "data"), dataDir));
    browser = await launchBrowser();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await stopServer(child);
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }, 30_000);

  const openDashboard = (width = 1280, height = 800): Promise<Page> => openPage(browser, started, { width, height });

  it("trades the token in the address for a cookie the page's own calls carry", async () => {
    const page = await openDashboard();
    expect(page.url()).toBe(`${started.url}/`);
    const seen = await page.evaluate(async () => ({
      cookie: document.cookie,
      // An unknown API path answers 404 to an authenticated caller and 401 to anyone else.
      status: (await fetch("/api/no-such-route")).status,
    }));
    expect(seen.cookie).not.toContain(started.token);
    expect(seen.status).toBe(404);
    await page.context().close();
  }, 60_000);

  it("shows the six views labelled exactly and moves between them with the keyboard", async () => {
    const page = await openDashboard();
    const tabs = page.getByRole("tab");
    expect((await tabs.allTextContents()).map((t) => t.trim())).toEqual(VIEWS);
    await page.getByRole("tab", { name: "Graph" }).focus();
    await page.keyboard.press("ArrowRight");
    expect(await page.getByRole("tab", { name: "Terminal" }).getAttribute("aria-selected")).toBe("true");
    await expect.poll(() => page.getByRole("tabpanel", { name: "Terminal" }).isVisible()).toBe(true);
    await page.keyboard.press("End");
    expect(await page.getByRole("tab", { name: "Rules" }).getAttribute("aria-selected")).toBe("true");
    await expect.poll(() => page.getByRole("textbox", { name: "Rules" }).isVisible()).toBe(true);
    expect(await page.getByRole("tabpanel", { name: "Graph" }).isVisible()).toBe(false);
    await page.context().close();
  }, 60_000);

  it("checks the spawn form before sending and warns about bypass", async () => {
    const page = await openDashboard();
    await page.getByRole("banner").getByRole("button", { name: "New agent" }).click();
    const dialog = page.getByRole("dialog", { name: "New agent" });
    await dialog.getByLabel("Name", { exact: true }).fill("bad name");
    await dialog.getByLabel("Folder").fill("relative/dir");
    await dialog.getByRole("button", { name: "Spawn" }).click();
    const problems = dialog.getByRole("alert");
    await expect.poll(() => problems.textContent()).toMatch(/name may hold only letters/);
    expect(await problems.textContent()).toMatch(/path must be absolute/);
    expect(await dialog.getByText(/Bypass runs every command/).count()).toBe(0);
    await dialog.getByRole("radio", { name: /Bypass/ }).check();
    expect(await dialog.getByText(/Bypass runs every command/).isVisible()).toBe(true);
    await page.keyboard.press("Escape");
    await expect.poll(() => dialog.isVisible()).toBe(false);
    await page.context().close();
  }, 60_000);

  it("fits a narrow window without sideways scrolling", async () => {
    const page = await openDashboard(400, 760);
    expect(await page.getByRole("tab", { name: "Messages" }).isVisible()).toBe(true);
    const widths = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
    expect(widths.scroll).toBeLessThanOrEqual(widths.client);
    await page.context().close();
  }, 60_000);
});

describe("dashboard in a browser, live over a real workspace", () => {
  let live: LiveWorkspace;
  let project: string;
  let page: Page;

  beforeAll(async () => {
    live = await startLiveWorkspace("clustr-dashboard-live-");
    project = live.project;
    writeFileSync(join(project, "notes.txt"), "first\n");
    page = await openPage(live.browser, live.started);
  }, 90_000);

  afterAll(async () => {
    await live?.close();
  }, 30_000);

  const agentButton = () => page.locator("aside.agents").getByRole("button", { name: /^worker/ });

  it("spawns a command agent from the form and follows it to running", async () => {
    await expect.poll(() => page.locator("aside.agents").textContent(), { timeout: 20_000 }).toContain("No agents yet");
    await page.getByRole("banner").getByRole("button", { name: "New agent" }).click();
    const dialog = page.getByRole("dialog", { name: "New agent" });
    await dialog.getByLabel("Name", { exact: true }).fill("worker");
    await dialog.getByLabel("Kind").selectOption("command");
    await dialog.getByLabel("Command", { exact: true }).fill("bash");
    await dialog.getByLabel("Arguments").fill("--norc --noprofile");
    await dialog.getByLabel("Folder").fill(project);
    await dialog.getByLabel("Task").fill("echo changed > notes.txt; echo task-ran");
    await dialog.getByRole("button", { name: "Spawn" }).click();
    await expect.poll(() => page.getByRole("dialog").textContent(), { timeout: 30_000 }).toMatch(/Running/);
    await page.getByRole("dialog").getByRole("button", { name: "Open terminal" }).click();
    await expect.poll(() => agentButton().textContent(), { timeout: 20_000 }).toMatch(/command · (idle|busy)/);
  }, 90_000);

  it("shows the agent's live terminal and sends typing to it", async () => {
    expect(await page.getByRole("tab", { name: /Terminal/ }).getAttribute("aria-selected")).toBe("true");
    const terminal = page.locator(".xterm").first();
    await expect.poll(() => terminal.locator(".xterm-rows").textContent(), { timeout: 30_000 }).toContain("task-ran");
    await terminal.click();
    await page.keyboard.type("echo typed-$((6*7))");
    await page.keyboard.press("Enter");
    await expect.poll(() => terminal.locator(".xterm-rows").textContent(), { timeout: 30_000 }).toContain("typed-42");
    // screenReaderMode keeps the output in an accessibility tree screen readers read.
    await expect.poll(() => terminal.locator(".xterm-accessibility-tree").textContent(), { timeout: 20_000 }).toContain("typed-42");
    await snap(page, "terminal");
  }, 90_000);

  it("resizes the agent's terminal when its panel changes size", async () => {
    const terminal = page.locator(".xterm").first();
    const size = async (marker: string): Promise<[number, number]> => {
      await terminal.click();
      await page.keyboard.type(`echo ${marker}=$(stty size | tr ' ' x)`);
      await page.keyboard.press("Enter");
      const pattern = new RegExp(`${marker}=(\\d+)x(\\d+)`);
      const screen = async () => (await terminal.locator(".xterm-rows").textContent()) ?? "";
      await expect.poll(async () => pattern.test(await screen()), { timeout: 30_000 }).toBe(true);
      const match = pattern.exec(await screen());
      return [Number(match?.[1]), Number(match?.[2])];
    };
    const [rows, cols] = await size("wide");
    await page.setViewportSize({ width: 1000, height: 600 });
    await expect.poll(() => size(`narrow${Date.now()}`).then(([r, c]) => r < rows && c < cols), { timeout: 30_000 }).toBe(true);
    await page.setViewportSize({ width: 1280, height: 800 });
  }, 90_000);

  it("logs the agent's file change and sends it a message from the user", async () => {
    await page.getByRole("tab", { name: "Files" }).click();
    const files = page.getByRole("tabpanel", { name: "Files" });
    await expect.poll(() => files.locator("tbody").textContent(), { timeout: 30_000 }).toMatch(/notes\.txt\s*worker/);
    await snap(page, "files");
    await page.getByRole("tab", { name: "Messages" }).click();
    await page.getByLabel("To").selectOption({ label: "worker" });
    await page.getByLabel("Message text").fill("hello from the dashboard");
    await page.getByRole("button", { name: "Send" }).click();
    const row = page.getByRole("tabpanel", { name: "Messages" }).locator("tbody tr").first();
    await expect.poll(() => row.textContent(), { timeout: 20_000 }).toMatch(/user → worker\s*(queued|delivered|read)\s*hello from the dashboard/);
    await snap(page, "messages");
    await page.getByRole("tab", { name: "Graph" }).click();
    // The user's message is drawn as an arrow from the user to the worker.
    const listed = await page.evaluate(() => fetch("/api/agents").then((r) => r.json() as Promise<{ agents: { id: string; name: string }[] }>));
    const worker = listed.agents.find((a) => a.name === "worker");
    expect(worker).toBeDefined();
    await expect.poll(() => drawnEdges(page), { timeout: 20_000 }).toContainEqual({ source: "user", target: worker?.id, type: "message" });
    await snap(page, "graph");
  }, 90_000);

  it("edits a note, shows a version conflict, and saves the rules", async () => {
    await page.getByRole("tab", { name: "Context" }).click();
    await page.getByRole("button", { name: "New note" }).click();
    await page.getByLabel("Key of the new note").fill("plan");
    await page.getByLabel("Value").fill("first draft");
    await page.getByRole("button", { name: "Save", exact: true }).click();
    await expect.poll(() => page.getByRole("tabpanel", { name: "Context" }).locator("tbody").textContent(), { timeout: 20_000 }).toMatch(/plan\s*first draft\s*user\s*1/);
    expect(await page.getByRole("tabpanel", { name: "Context" }).textContent()).toContain("1 note, shared by every agent");
    await page.getByRole("button", { name: "Edit plan" }).click();
    // Someone else writes version 2 while the note is open here.
    const status = await page.evaluate(() =>
      fetch("/api/context/plan", { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify({ value: "their draft", version: 1 }) }).then((r) => r.status),
    );
    expect(status).toBe(200);
    await page.getByLabel("Value").fill("my draft");
    await page.getByRole("button", { name: "Save", exact: true }).click();
    const alert = page.getByRole("tabpanel", { name: "Context" }).getByRole("alert");
    await expect.poll(() => alert.textContent(), { timeout: 20_000 }).toMatch(/Someone changed this note after you opened it\.\s*Now version 2 by user/);
    expect(await alert.textContent()).toContain("their draft");
    await alert.getByRole("button", { name: "Overwrite with mine" }).click();
    await expect.poll(() => page.getByRole("tabpanel", { name: "Context" }).locator("tbody").textContent(), { timeout: 20_000 }).toMatch(/plan\s*my draft\s*user\s*3/);
    await snap(page, "context");

    await page.getByRole("tab", { name: "Rules" }).click();
    await page.getByRole("textbox", { name: "Rules" }).fill("Keep commits small.");
    await page.getByRole("button", { name: "Save", exact: true }).click();
    await expect.poll(() => page.getByRole("tabpanel", { name: "Rules" }).getByRole("status").textContent(), { timeout: 20_000 }).toMatch(/The 1 running agent was told/);
    const rules = await page.evaluate(() => fetch("/api/rules").then((r) => r.json() as Promise<{ content: string }>));
    expect(rules.content).toBe("Keep commits small.");
    await snap(page, "rules");
  }, 90_000);

  it("shows the agent's diff, previews a rollback, applies it and undoes it", async () => {
    await agentButton().click();
    const panel = page.getByRole("complementary", { name: "Agent details" });
    await panel.getByRole("button", { name: "Diff" }).click();
    const diff = panel.getByRole("region", { name: "Diff" });
    await expect.poll(() => diff.textContent(), { timeout: 30_000 }).toMatch(/modified\s*notes\.txt/i);
    expect(await diff.locator(".patch").textContent()).toMatch(/-first\s*\+changed/);
    await snap(page, "diff");

    await panel.getByRole("button", { name: "Roll back…" }).click();
    const preview = panel.getByRole("region", { name: "Rollback preview" });
    await expect.poll(() => preview.textContent(), { timeout: 30_000 }).toMatch(/modified\s*notes\.txt/i);
    await preview.getByRole("button", { name: "Roll back 1 file" }).click();
    await expect.poll(() => panel.getByRole("status").first().textContent(), { timeout: 30_000 }).toMatch(/Rolled back 1 file/);
    expect(readFileSync(join(project, "notes.txt"), "utf8")).toBe("first\n");

    await panel.getByRole("button", { name: "Undo rollback" }).click();
    await expect.poll(() => panel.getByRole("status").first().textContent(), { timeout: 30_000 }).toMatch(/The rollback was undone/);
    expect(readFileSync(join(project, "notes.txt"), "utf8")).toBe("changed\n");
  }, 90_000);

  it("kills the agent, then removes it", async () => {
    if ((await page.getByRole("complementary", { name: "Agent details" }).count()) === 0) await agentButton().click();
    await page.getByRole("complementary", { name: "Agent details" }).getByRole("button", { name: "Kill" }).click();
    await expect.poll(() => agentButton().textContent(), { timeout: 30_000 }).toMatch(/killed/);
    await page.getByRole("complementary", { name: "Agent details" }).getByRole("button", { name: "Remove" }).click();
    await expect.poll(() => page.locator("aside.agents").textContent(), { timeout: 20_000 }).toContain("No agents yet");
    const listed = await page.evaluate(() => fetch("/api/agents").then((r) => r.json() as Promise<{ agents: unknown[] }>));
    expect(listed.agents).toEqual([]);
    expect(readFileSync(join(project, "notes.txt"), "utf8")).toBe("changed\n");
  }, 90_000);

  it("reconnects after the server restarts and reloads what changed while it was away", async () => {
    const { started, token } = live;
    const port = Number(new URL(started.url).port);
    const table = page.getByRole("tabpanel", { name: "Context" }).locator("tbody");
    await page.getByRole("tab", { name: "Context" }).click();
    // Offline, the page cannot reconnect: whatever changes now it can only learn afterwards.
    await page.context().setOffline(true);
    await stopServer(live.child);
    await expect.poll(() => page.locator("header").textContent(), { timeout: 20_000 }).toMatch(/reconnecting/);
    // Same data folder, port and token: the page's cookie still fits, but the event counter
    // starts again, so the page must reload the lists rather than wait for a replay.
    live.child = (await startWorkspaceServer(join(live.root, "data"), token, port)).child;
    const put = await fetch(`${started.url}/api/context/after-restart`, {
      method: "PUT",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ value: "caught up" }),
    });
    expect(put.status).toBe(200);
    await page.waitForTimeout(1500);
    expect(await table.textContent()).not.toContain("after-restart");
    await page.context().setOffline(false);
    await expect.poll(() => table.textContent(), { timeout: 30_000 }).toContain("after-restart");
    expect(await table.textContent()).toMatch(/plan\s*my draft/);
    await expect.poll(() => page.locator("header").textContent(), { timeout: 20_000 }).toMatch(/live/);
  }, 90_000);
});
