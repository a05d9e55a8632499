import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Agent, Message } from "@clustr/protocol";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkPrerequisites, launchBrowser, openDashboard, snap, startServer, stopServer, type RunningServer } from "./browser-harness.js";

// Thirty live agents on the real server, drawn by the Graph view in a real Chromium: three
// leads (command agents) with eight helpers each, spawned through the leads' own bridge tokens
// so the server records the parent links, three loose command agents, and messages between
// several pairs. The helpers are `claude` agents played by the fake Claude Code TUI, which
// starts the real bridge from its --mcp-config like the real CLI.
const here = fileURLToPath(new URL(".", import.meta.url));
const FAKE_CLAUDE = resolve(here, "../../../tooling/test-utils/dist/fake-tui/fake-claude.js");

const LEADS = ["lead-api", "lead-frontend", "lead-storage"];
const HELPERS_PER_LEAD = 8;
const LOOSE = ["observer", "release-manager", "docs-writer"];
// [from, to, count]: different counts so edge widths can be compared.
const SENDS: [string, string, number][] = [
  ["lead-api", "lead-frontend", 1],
  ["lead-frontend", "observer", 3],
  ["release-manager", "lead-storage", 6],
  ["docs-writer", "lead-api", 2],
];
const helperName = (lead: string, i: number) => `${lead.replace("lead-", "")}-helper-${i}`;

interface Box {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

interface Geometry {
  width: number;
  height: number;
  zoom: number;
  nodes: { id: string; name: string; box: Box; x: number; y: number }[];
  edges: { source: string; target: string; type: string; count: number; width: number; crosses: string[]; straightCrosses: string[] }[];
}

/**
 * What the Graph view's cytoscape instance draws: label-inclusive rendered boxes (pixels,
 * relative to the graph's container), edge widths, and the nodes each edge runs through (their
 * symbols, labels left out) as drawn and as a straight line between its ends would. The graph is a canvas, so the test asks
 * the instance, which cytoscape keeps on its container as `_cyreg.cy`.
 */
function geometry(page: Page): Promise<Geometry | null> {
  return page.getByRole("tabpanel", { name: "Graph" }).evaluate((panel) => {
    interface Collection<T> {
      map<R>(f: (item: T) => R): R[];
    }
    interface NodeLike {
      id(): string;
      data(key: string): unknown;
      renderedBoundingBox(options: object): Box;
      renderedPosition(): { x: number; y: number };
    }
    interface EdgeLike {
      data(key: string): unknown;
      numericStyle(name: string): number;
      renderedSourceEndpoint(): { x: number; y: number };
      renderedTargetEndpoint(): { x: number; y: number };
      renderedControlPoints(): { x: number; y: number }[] | undefined;
    }
    interface Registered {
      _cyreg?: { cy?: { width(): number; height(): number; zoom(): number; nodes(): Collection<NodeLike>; edges(): Collection<EdgeLike> } };
    }
    const holder = Array.from(panel.querySelectorAll("div")).find((el) => (el as Registered)._cyreg?.cy) as Registered | undefined;
    const cy = holder?._cyreg?.cy;
    if (!cy) return null;
    const symbols = cy.nodes().map((n) => ({ id: n.id(), name: String(n.data("label")), box: n.renderedBoundingBox({ includeLabels: false, includeOverlays: false }) }));
    // cytoscape throws for an edge drawn straight, which has none.
    const controlPoint = (e: EdgeLike): { x: number; y: number } | undefined => {
      try {
        return e.renderedControlPoints()?.[0];
      } catch {
        return undefined;
      }
    };
    // Sampled along the drawn path (a line, or a curve with one control point).
    const crossing = (e: EdgeLike, straight: boolean): string[] => {
      const from = e.renderedSourceEndpoint();
      const to = e.renderedTargetEndpoint();
      const control = straight ? undefined : controlPoint(e);
      const c = control ?? { x: (from.x + to.x) / 2, y: (from.y + to.y) / 2 };
      const names = new Set<string>();
      for (let i = 1; i < 400; i++) {
        const t = i / 400;
        const x = (1 - t) ** 2 * from.x + 2 * t * (1 - t) * c.x + t ** 2 * to.x;
        const y = (1 - t) ** 2 * from.y + 2 * t * (1 - t) * c.y + t ** 2 * to.y;
        for (const s of symbols) {
          if (s.id === e.data("source") || s.id === e.data("target")) continue;
          if (x > s.box.x1 && x < s.box.x2 && y > s.box.y1 && y < s.box.y2) names.add(s.name);
        }
      }
      return [...names];
    };
    return {
      width: cy.width(),
      height: cy.height(),
      zoom: cy.zoom(),
      nodes: cy.nodes().map((n) => ({
        id: n.id(),
        name: String(n.data("label")),
        box: n.renderedBoundingBox({ includeLabels: true, includeOverlays: false }),
        ...n.renderedPosition(),
      })),
      edges: cy.edges().map((e) => ({
        source: String(e.data("source")),
        target: String(e.data("target")),
        type: String(e.data("type")),
        count: Number(e.data("count")),
        width: e.numericStyle("width"),
        crosses: crossing(e, false),
        straightCrosses: crossing(e, true),
      })),
    };
  });
}

function overlaps(nodes: Geometry["nodes"]): string[] {
  const found: string[] = [];
  nodes.forEach((a, i) => {
    for (const b of nodes.slice(i + 1)) {
      if (a.box.x1 < b.box.x2 && b.box.x1 < a.box.x2 && a.box.y1 < b.box.y2 && b.box.y1 < a.box.y2) found.push(`${a.name} / ${b.name}`);
    }
  });
  return found;
}

function outside(g: Geometry): string[] {
  return g.nodes.filter((n) => n.box.x1 < 0 || n.box.y1 < 0 || n.box.x2 > g.width || n.box.y2 > g.height).map((n) => n.name);
}

describe("the Graph view with thirty live agents", () => {
  let root: string;
  let server: RunningServer | undefined;
  let browser: Browser;
  let page: Page;
  let dataDir: string;
  const agentsByName = new Map<string, Agent>();

  async function api<T>(method: string, path: string, body?: unknown, token = server?.started.token ?? ""): Promise<T> {
    const headers: Record<string, string> = { authorization: `Bearer ${token}` };
    if (body !== undefined) headers["content-type"] = "application/json";
    const res = await fetch(`${server?.started.url}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}\n${server?.stderr() ?? ""}`);
    return JSON.parse(text) as T;
  }

  const tokenOf = (name: string) => readFileSync(join(dataDir, "agents", agentsByName.get(name)?.id ?? "?", "token"), "utf8").trim();
  const bridgeTool = <T>(caller: string, tool: string, input: unknown) => api<{ result: T }>("POST", `/api/bridge/tools/${tool}`, input, tokenOf(caller));

  // expect.poll works only inside a test; this runs in beforeAll.
  async function allRunning(names: string[]): Promise<void> {
    const deadline = Date.now() + 150_000;
    for (;;) {
      const { agents } = await api<{ agents: Agent[] }>("GET", "/api/agents");
      const ended = agents.filter((a) => a.status !== "starting" && a.status !== "running");
      if (ended.length > 0) throw new Error(`agents ended: ${JSON.stringify(ended.map((a) => [a.name, a.status, a.error]))}`);
      const waiting = names.filter((n) => agents.find((a) => a.name === n)?.status !== "running");
      if (waiting.length === 0) return;
      if (Date.now() > deadline) throw new Error(`still not running after 150 s: ${waiting.join(", ")}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  beforeAll(async () => {
    checkPrerequisites();
    if (!existsSync(FAKE_CLAUDE)) throw new Error(`the fake Claude Code TUI is not built (${FAKE_CLAUDE}): run pnpm build first`);
    root = mkdtempSync(join(tmpdir(), "clustr-graph-30-"));
    const project = join(root, "project");
    const home = join(root, "home");
    dataDir = join(root, "data");
    for (const dir of [project, home, join(home, ".claude")]) mkdirSync(dir, { recursive: true });
    const claude = join(root, "bin", "claude");
    mkdirSync(join(root, "bin"));
    writeFileSync(claude, `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(FAKE_CLAUDE)} "$@"\n`);
    chmodSync(claude, 0o755);
    // A home of its own, so the claude folder-trust answer never touches the real ~/.claude.json.
    const env = { ...process.env, HOME: home, CLAUDE_CONFIG_DIR: join(home, ".claude"), CLUSTR_CLAUDE_BIN: claude, CLUSTR_MAX_AGENTS: "40" };
    server = await startServer(dataDir, project, env);
    browser = await launchBrowser();

    const spawnCommand = async (name: string) => {
      const { agent } = await api<{ agent: Agent }>("POST", "/api/agents", { name, kind: "command", command: "sleep", args: ["600"], cwd: project, task: "stand by" });
      agentsByName.set(name, agent);
    };
    for (const name of [...LEADS, ...LOOSE]) await spawnCommand(name);
    await allRunning([...LEADS, ...LOOSE]);
    // One family at a time: two cores start eight fake CLIs and their bridges comfortably.
    for (const lead of LEADS) {
      const names = Array.from({ length: HELPERS_PER_LEAD }, (_, i) => helperName(lead, i + 1));
      for (const name of names) {
        const { result } = await bridgeTool<{ agent: Agent }>(lead, "spawn_agent", { name, kind: "claude", task: `help ${lead}` });
        expect(result.agent.parentId).toBe(agentsByName.get(lead)?.id);
        agentsByName.set(name, result.agent);
      }
      await allRunning(names);
    }
    for (const [from, to, count] of SENDS) {
      for (let i = 0; i < count; i++) await bridgeTool<{ messages: Message[] }>(from, "send_message", { to, body: `note ${i + 1} from ${from}` });
    }
    // The user writes too: the graph adds a node for the user.
    await api("POST", "/api/messages", { to: helperName("lead-frontend", 3), body: "how is it going?" });
    expect(agentsByName.size).toBe(30);
  }, 600_000);

  afterAll(async () => {
    await browser?.close();
    await stopServer(server?.child);
    if (root) rmSync(root, { recursive: true, force: true });
  }, 60_000);

  /** Wait until the graph holds every agent, parent link and message edge, and has laid them out. */
  async function drawn(): Promise<Geometry> {
    await page.getByRole("tab", { name: "Graph" }).click();
    await expect
      .poll(
        async () => {
          const g = await geometry(page);
          return g ? [g.nodes.length, g.edges.filter((e) => e.type === "parent").length, g.edges.filter((e) => e.type === "message").length] : null;
        },
        { timeout: 30_000 },
      )
      .toEqual([31, LEADS.length * HELPERS_PER_LEAD, SENDS.length + 1]);
    // Settled: a resize is laid out in the next animation frame, and an agent's label that
    // grows (busy while a notice is typed into it) can lay the graph out again.
    let previous = "";
    let settled: Geometry | null = null;
    await expect
      .poll(
        async () => {
          await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
          settled = await geometry(page);
          const now = JSON.stringify(settled);
          const same = now === previous;
          previous = now;
          return same;
        },
        { timeout: 20_000 },
      )
      .toBe(true);
    if (!settled) throw new Error("the graph is gone");
    return settled;
  }

  function checkReadable(g: Geometry, minZoom: number): void {
    const names = new Set(g.nodes.map((n) => n.name));
    for (const name of agentsByName.keys()) expect(names.has(name), `${name} drawn`).toBe(true);
    expect(names.has("user")).toBe(true);
    expect(overlaps(g.nodes)).toEqual([]);
    expect(outside(g)).toEqual([]);
    // Readable: the labels are drawn at a fair share of their size, not shrunk to specks.
    expect(g.zoom).toBeGreaterThanOrEqual(minZoom);

    const id = (name: string) => agentsByName.get(name)?.id;
    for (const lead of LEADS) {
      const children = g.edges.filter((e) => e.type === "parent" && e.source === id(lead)).map((e) => e.target);
      expect(children.sort()).toEqual(Array.from({ length: HELPERS_PER_LEAD }, (_, i) => id(helperName(lead, i + 1))).sort());
    }
    const messageEdges = SENDS.map(([from, to, count]) => {
      const edge = g.edges.find((e) => e.type === "message" && e.source === id(from) && e.target === id(to));
      expect(edge?.count, `${from} -> ${to}`).toBe(count);
      return edge ?? { count: 0, width: 0 };
    }).sort((a, b) => a.count - b.count);
    for (let i = 1; i < messageEdges.length; i++) expect(messageEdges[i]?.width).toBeGreaterThan(messageEdges[i - 1]?.width ?? Infinity);
    // Edges bend around the nodes a straight line would run through, which reads as a chain of
    // messages never sent. Across a dense family grid some curve still passes a node.
    const crossings = (list: string[][]) => list.reduce((sum, names) => sum + names.length, 0);
    const straight = crossings(g.edges.map((e) => e.straightCrosses));
    expect(straight, "nodes in the way of straight edges").toBeGreaterThan(0);
    expect(crossings(g.edges.map((e) => e.crosses)), `nodes crossed as drawn, of ${straight} in the way`).toBeLessThan(straight / 2);
  }

  async function clickOpens(name: string, parent: string): Promise<void> {
    const g = await geometry(page);
    const node = g?.nodes.find((n) => n.name === name);
    if (!node) throw new Error(`${name} is not drawn`);
    const origin = await page.getByRole("tabpanel", { name: "Graph" }).locator("canvas").first().boundingBox();
    if (!origin) throw new Error("the graph has no canvas");
    await page.mouse.click(origin.x + node.x, origin.y + node.y);
    const panel = page.getByRole("complementary", { name: "Agent details" });
    await expect.poll(() => panel.getByRole("heading", { level: 2 }).textContent(), { timeout: 10_000 }).toContain(name);
    expect(await panel.textContent()).toMatch(new RegExp(`spawned by\\s*${parent}`));
  }

  it("draws all thirty readable, apart and inside the panel at 1280x800, and a click opens the agent", async () => {
    page = await openDashboard(browser, server?.started ?? { url: "", token: "" }, { width: 1280, height: 800 });
    const g = await drawn();
    checkReadable(g, 1);
    // The canvas is an image to screen readers; its name counts the agents, not the user's node.
    expect(await page.getByRole("img", { name: /^Graph of 30 agents/ }).count()).toBe(1);
    await snap(page, "graph-30-wide");

    await clickOpens(helperName("lead-storage", 6), "lead-storage");
    // The details panel takes a third of the width: the graph is laid out again to fit.
    await expect.poll(async () => (await geometry(page))?.width ?? g.width, { timeout: 10_000 }).toBeLessThan(g.width);
    checkReadable(await drawn(), 0.8);
    await page.getByRole("button", { name: "Close details" }).click();
  }, 120_000);

  it("draws all thirty readable, apart and inside the panel in a narrow window, and a click opens the agent", async () => {
    await page.setViewportSize({ width: 420, height: 800 });
    await expect.poll(async () => (await geometry(page))?.width ?? 1000, { timeout: 10_000 }).toBeLessThanOrEqual(420);
    const g = await drawn();
    checkReadable(g, 0.6);
    await snap(page, "graph-30-narrow");

    await clickOpens(helperName("lead-api", 2), "lead-api");
    await page.getByRole("button", { name: "Close details" }).click();

    // The legend folds away in a narrow window and opens on demand; the graph makes room.
    const legend = page.getByRole("button", { name: "Legend" });
    const keys = page.getByText(/dashed: spawned by/);
    expect(await keys.count()).toBe(1);
    expect(await keys.isVisible()).toBe(false);
    await legend.click();
    expect(await legend.getAttribute("aria-expanded")).toBe("true");
    expect(await keys.isVisible()).toBe(true);
    await expect.poll(async () => (await geometry(page))?.height ?? g.height, { timeout: 10_000 }).toBeLessThan(g.height);
    checkReadable(await drawn(), 0.45);
  }, 120_000);
});
