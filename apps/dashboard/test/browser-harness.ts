// What the browser tests share: the built dashboard in a real Chromium, served by the real
// clustr-ai server (started in a child process from its build, with this package's fresh build as
// its dashboard folder).
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";
import { chromium, type Browser, type Page } from "playwright-core";
import type { Agent } from "@clustr/protocol";

const here = fileURLToPath(new URL(".", import.meta.url));

/** Screenshots of each view, kept as test artifacts (test-artifacts/ is not committed). */
export const ARTIFACTS_DIR = resolve(here, "../../../test-artifacts/dashboard");
export const BUILD_DIR = resolve(here, "../build");
export const SERVER_ENTRY = resolve(here, "../../server/dist/index.js");
export const CORE_ENTRY = resolve(here, "../../../packages/core/dist/index.js");
export const CHROMIUM = "/usr/bin/chromium";
export const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-quic",
];
export const VIEWS = ["Graph", "Terminal", "Messages", "Context", "Files", "Rules"];

/** Save a screenshot of the page as `test-artifacts/dashboard/<name>.png` and check it is a PNG. */
export async function snap(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const file = join(ARTIFACTS_DIR, `${name}.png`);
  await page.screenshot({ path: file });
  expect(readFileSync(file).subarray(1, 4).toString("latin1")).toBe("PNG");
}

/** Where a started server listens and the token it wants. */
export interface Started {
  url: string;
  token: string;
}

/** A server running in a child process. */
export interface RunningServer {
  child: ChildProcess;
  started: Started;
  /** Everything it printed on stderr so far, for failure messages. */
  stderr(): string;
}

/**
 * The clustr-ai server as its command line starts it (`--port 0 --no-open --data-dir D`, in
 * `projectDir`). `env` is the server's whole environment (agents inherit it); the test's own
 * when left out.
 */
export function startServer(dataDir: string, projectDir: string, env: NodeJS.ProcessEnv = process.env): Promise<RunningServer> {
  return runServer(
    `
    const m = await import(${JSON.stringify(SERVER_ENTRY)});
    const command = m.parseCommandLine(["--port", "0", "--no-open", "--data-dir", ${JSON.stringify(dataDir)}], { ...process.env, BROWSER: "none" }, ${JSON.stringify(projectDir)});
    const running = await m.startServer(command.config, { dashboardDir: ${JSON.stringify(BUILD_DIR)} });
    process.stdout.write(JSON.stringify({ url: running.info.url, token: running.info.token }) + "\\n");
    const stop = () => running.close().then(() => process.exit(0));
    process.on("SIGTERM", stop);
    process.on("SIGINT", stop);
  `,
    env,
    projectDir,
  );
}

/** The server app over a real workspace (agents, messages, context, rules), listening on a free port (or `port`). */
export function startWorkspaceServer(dataDir: string, token: string, port = 0): Promise<RunningServer> {
  return runServer(`
    const { createWorkspace } = await import(${JSON.stringify(CORE_ENTRY)});
    const { buildServer } = await import(${JSON.stringify(SERVER_ENTRY)});
    const workspace = await createWorkspace({ dataDir: ${JSON.stringify(dataDir)} });
    const app = await buildServer({ token: ${JSON.stringify(token)}, workspace, dashboardDir: ${JSON.stringify(BUILD_DIR)} });
    await app.listen({ port: ${port}, host: "127.0.0.1" });
    const url = "http://127.0.0.1:" + app.server.address().port;
    process.stdout.write(JSON.stringify({ url, token: ${JSON.stringify(token)} }) + "\\n");
    const stop = () => app.close().then(() => workspace.close()).then(() => process.exit(0));
    process.on("SIGTERM", stop);
    process.on("SIGINT", stop);
  `);
}

function runServer(script: string, env: NodeJS.ProcessEnv = process.env, cwd?: string): Promise<RunningServer> {
  const child = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "pipe"], env, ...(cwd ? { cwd } : {}) });
  let err = "";
  child.stderr.on("data", (chunk: Buffer) => (err += chunk.toString()));
  return new Promise((resolvePromise, reject) => {
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split("\n")[0];
      if (out.includes("\n") && line) resolvePromise({ child, started: JSON.parse(line) as Started, stderr: () => err });
    });
    child.on("exit", (code) => reject(new Error(`the server exited (${code}) before listening: ${err}`)));
  });
}

/** SIGTERM the server and wait until it has exited (it ends its agents first). */
export async function stopServer(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  await exited;
}

/** Fail with the fix when the dashboard build, the server build or Chromium is missing. */
export function checkPrerequisites(): void {
  if (!existsSync(join(BUILD_DIR, "index.html"))) throw new Error(`no dashboard build in ${BUILD_DIR}: run the build first`);
  if (!existsSync(SERVER_ENTRY)) throw new Error(`clustr-ai is not built (${SERVER_ENTRY}): run pnpm build first`);
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium is missing at ${CHROMIUM}: apt-get install -y chromium`);
}

/** Debian's Chromium, headless, with the flags known to work here. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS });
}

/** A real workspace served with the built dashboard, a project folder for its agents, and a browser. */
export interface LiveWorkspace {
  /** The temp folder holding the data folder (`data/`) and the project (`project/`). */
  root: string;
  project: string;
  token: string;
  /** The server's process; a test that restarts the server puts the new one here. */
  child: ChildProcess;
  started: Started;
  browser: Browser;
  /** Close the browser, stop the server (it ends its agents) and remove the temp folder. */
  close(): Promise<void>;
}

/** The setup of the live browser tests: `startWorkspaceServer` over a fresh temp folder, and Chromium. */
export async function startLiveWorkspace(prefix: string): Promise<LiveWorkspace> {
  checkPrerequisites();
  if (!existsSync(CORE_ENTRY)) throw new Error(`@clustr/core is not built (${CORE_ENTRY}): run pnpm build first`);
  const root = mkdtempSync(join(tmpdir(), prefix));
  const project = join(root, "project");
  mkdirSync(project);
  const token = randomBytes(24).toString("base64url");
  const remove = () => rmSync(root, { recursive: true, force: true });
  let server: RunningServer | undefined;
  try {
    server = await startWorkspaceServer(join(root, "data"), token);
    const { child, started } = server;
    const browser = await launchBrowser();
    const live: LiveWorkspace = {
      root,
      project,
      token,
      child,
      started,
      browser,
      close: async () => {
        await browser.close();
        await stopServer(live.child);
        remove();
      },
    };
    return live;
  } catch (error) {
    await stopServer(server?.child);
    remove();
    throw error;
  }
}

/**
 * Open the dashboard through its token URL (as the server prints it) in a new page and wait for
 * the views; `beforeLoad` runs in the page before its own scripts.
 */
export async function openDashboard(browser: Browser, started: Started, viewport = { width: 1280, height: 800 }, beforeLoad?: () => void): Promise<Page> {
  const page = await browser.newPage({ viewport });
  page.on("dialog", (dialog) => void dialog.accept());
  // Run in the page before its own scripts (e.g. the benchmarks' optional stats hook).
  if (beforeLoad) await page.addInitScript(beforeLoad);
  await page.goto(`${started.url}/?token=${started.token}`);
  await page.getByRole("tablist", { name: "Views" }).waitFor({ timeout: 20_000 });
  return page;
}

/** One edge drawn in the Graph view: its end points' node ids and its type (`message` or `parent`). */
export interface DrawnEdge {
  source: string;
  target: string;
  type: string;
}

/**
 * The edges the Graph view's cytoscape instance holds. The graph is drawn on a canvas, so the
 * test asks the instance itself (cytoscape keeps it on its container as `_cyreg.cy`).
 */
export function drawnEdges(page: Page): Promise<DrawnEdge[]> {
  return page.getByRole("tabpanel", { name: "Graph" }).evaluate((panel) => {
    interface Registered {
      _cyreg?: { cy?: { edges(): { map<T>(f: (edge: { data(key: string): unknown }) => T): T[] } } };
    }
    const holder = Array.from(panel.querySelectorAll("div")).find((el) => (el as Registered)._cyreg?.cy) as Registered | undefined;
    const cy = holder?._cyreg?.cy;
    if (!cy) return [];
    return cy.edges().map((edge) => ({ source: String(edge.data("source")), target: String(edge.data("target")), type: String(edge.data("type")) }));
  });
}

/** Spawn a bash command agent in `cwd` through the page's own API calls (its cookie); the created agent. */
export async function spawnBashAgent(page: Page, name: string, cwd: string, task: string): Promise<Agent> {
  const { status, body } = await page.evaluate(
    async ({ name, cwd, task }) => {
      const response = await fetch("/api/agents", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ name, kind: "command", command: "bash", args: ["--norc", "--noprofile"], cwd, task }),
      });
      return { status: response.status, body: (await response.json()) as { agent: Agent } };
    },
    { name, cwd, task },
  );
  expect(status).toBe(201);
  return body.agent;
}
