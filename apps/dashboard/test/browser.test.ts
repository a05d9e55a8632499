import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromium, type Browser, type Page } from "playwright-core";

// The built dashboard in a real Chromium, served by the real clustr-ai server (started in a
// child process from its build, with this package's fresh build as its dashboard folder).
const here = fileURLToPath(new URL(".", import.meta.url));
const BUILD_DIR = resolve(here, "../build");
const SERVER_ENTRY = resolve(here, "../../server/dist/index.js");
const CHROMIUM = "/usr/bin/chromium";
const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-quic",
];
const VIEWS = ["Graph", "Terminal", "Messages", "Context", "Files", "Rules"];

interface Started {
  url: string;
  token: string;
}

function startServer(dataDir: string, projectDir: string): Promise<{ child: ChildProcess; started: Started }> {
  const script = `
    const m = await import(${JSON.stringify(SERVER_ENTRY)});
    const command = m.parseCommandLine(["--port", "0", "--no-open", "--data-dir", ${JSON.stringify(dataDir)}], { ...process.env, BROWSER: "none" }, ${JSON.stringify(projectDir)});
    const running = await m.startServer(command.config, { dashboardDir: ${JSON.stringify(BUILD_DIR)} });
    process.stdout.write(JSON.stringify({ url: running.info.url, token: running.info.token }) + "\\n");
    const stop = () => running.close().then(() => process.exit(0));
    process.on("SIGTERM", stop);
    process.on("SIGINT", stop);
  `;
  const child = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "pipe"] });
  return new Promise((resolvePromise, reject) => {
    let out = "";
    let err = "";
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split("\n")[0];
      if (out.includes("\n") && line) resolvePromise({ child, started: JSON.parse(line) as Started });
    });
    child.stderr.on("data", (chunk: Buffer) => (err += chunk.toString()));
    child.on("exit", (code) => reject(new Error(`the server exited (${code}) before listening: ${err}`)));
  });
}

describe("dashboard in a browser, served by clustr-ai", () => {
  let dataDir: string;
  let child: ChildProcess | undefined;
  let started: Started;
  let browser: Browser;

  beforeAll(async () => {
    if (!existsSync(join(BUILD_DIR, "index.html"))) throw new Error(`no dashboard build in ${BUILD_DIR}: run the build first`);
    if (!existsSync(SERVER_ENTRY)) throw new Error(`clustr-ai is not built (${SERVER_ENTRY}): run pnpm build first`);
    if (!existsSync(CHROMIUM)) throw new Error(`Chromium is missing at ${CHROMIUM}: apt-get install -y chromium`);
    dataDir = mkdtempSync(join(tmpdir(), "clustr-dashboard-"));
    ({ child, started } = await startServer(join(dataDir, "data"), dataDir));
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child?.once("exit", r));
      child.kill("SIGTERM");
      await exited;
    }
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }, 30_000);

  async function openDashboard(width = 1280, height = 800): Promise<Page> {
    const context = await browser.newContext({ viewport: { width, height } });
    const page = await context.newPage();
    await page.goto(`${started.url}/?token=${started.token}`);
    await page.getByRole("tablist", { name: "Views" }).waitFor({ timeout: 20_000 });
    return page;
  }

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
