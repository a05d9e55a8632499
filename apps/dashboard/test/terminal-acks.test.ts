import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Agent } from "@clustr/protocol";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDashboard, snap, spawnBashAgent, startLiveWorkspace, type LiveWorkspace } from "./browser-harness.js";

/** What the page's stats hook saw of one pane. */
interface Seen {
  parsed: number;
  maxPending: number;
  skipped: number;
}

// The terminal pane's flow control in a real Chromium over a real workspace: the pane
// acknowledges what xterm has shown, so the server sends no faster than the page draws, and a
// hidden page, whose timers (and so xterm's parser) run about once a second, never holds the
// agent back.
describe("terminal acknowledgements", () => {
  let live: LiveWorkspace;
  let page: Page;
  let agent: Agent;
  const acks: number[] = [];

  beforeAll(async () => {
    live = await startLiveWorkspace("clustr-dashboard-acks-");
    page = await openDashboard(live.browser, live.started, undefined, () => {
      const seen: Record<string, { parsed: number; maxPending: number; skipped: number }> = {};
      Object.assign(window, {
        __seen: seen,
        __clustrTerminalStats: {
          parsed(id: string, chunk: string | Uint8Array, pending: number) {
            const s = (seen[id] ??= { parsed: 0, maxPending: 0, skipped: 0 });
            s.parsed += typeof chunk === "string" ? chunk.length : chunk.byteLength;
            s.maxPending = Math.max(s.maxPending, pending);
          },
          skipped(id: string, bytes: number) {
            (seen[id] ??= { parsed: 0, maxPending: 0, skipped: 0 }).skipped += bytes;
          },
        },
      });
    });
    // The acknowledgements as they leave the page, on every terminal socket.
    page.on("websocket", (socket) => {
      if (!socket.url().endsWith("/terminal")) return;
      socket.on("framesent", ({ payload }) => {
        const message = JSON.parse(String(payload)) as { type: string; bytes?: number };
        if (message.type === "ack") acks.push(message.bytes ?? -1);
      });
    });
    agent = await spawnBashAgent(page, "acked", live.project, "echo ready-$((20+1))");
    await page.getByRole("tab", { name: "Terminal" }).click();
    const picker = page.getByRole("combobox", { name: "Open terminal" });
    await picker.locator(`option[value="${agent.id}"]`).waitFor({ state: "attached", timeout: 30_000 });
    await picker.selectOption(agent.id);
    await page.locator(".xterm-rows").filter({ hasText: "ready-21" }).waitFor({ timeout: 30_000 });
  }, 90_000);

  afterAll(async () => {
    await live?.close();
  }, 30_000);

  const rows = () => page.locator(".xterm-rows").first();
  const seen = () => page.evaluate((id) => (window as unknown as { __seen: Record<string, Seen> }).__seen[id] ?? { parsed: 0, maxPending: 0, skipped: 0 }, agent.id);
  const typeCommand = async (line: string) => {
    await page.locator(".xterm").first().click();
    await page.keyboard.type(line);
    await page.keyboard.press("Enter");
  };

  it("shows a whole flood on a busy page without queueing more than the window, acknowledging as it goes", async () => {
    const before = await seen();
    // The page's main thread busy four fifths of the time: xterm parses far slower than the
    // server can send. Without acknowledgements megabytes queue in the page and it skips ahead.
    await page.evaluate(() => {
      const busy = setInterval(() => {
        const until = performance.now() + 40;
        while (performance.now() < until);
      }, 50);
      Object.assign(window, { __busy: busy });
    });
    try {
      // About 6.9 MB of numbered lines, then a marker only the shell's arithmetic produces.
      await typeCommand("seq 1 1000000; echo seq-$((6*7))-done");
      await expect.poll(() => rows().textContent(), { timeout: 120_000, interval: 250 }).toContain("seq-42-done");
    } finally {
      await page.evaluate(() => clearInterval((window as unknown as { __busy: number }).__busy));
    }
    expect(await rows().textContent()).toContain("1000000");
    const after = await seen();
    expect(after.skipped).toBe(0);
    expect(after.parsed - before.parsed).toBeGreaterThan(6_000_000);
    // The window (128 KiB) and the frame that may cross it (the server's queue, 256 KiB).
    expect(after.maxPending).toBeLessThan(512 * 1024);
    expect(await page.getByText(/skipped ahead/).count()).toBe(0);
    // The pane started flow control with 0 and acknowledged ever more, up to what it was sent.
    expect(acks[0]).toBe(0);
    for (let i = 1; i < acks.length; i++) expect(acks[i]).toBeGreaterThan(acks[i - 1] ?? 0);
    expect(acks.at(-1)).toBeGreaterThan(6_000_000);
    await snap(page, "terminal-after-acked-flood");
  }, 180_000);

  it("lets the agent run on while the page is hidden, and shows the present when it is back", async () => {
    // A hidden page runs its timers, and so xterm's parser, about once a second. Playwright
    // keeps its pages visible and unthrottled, so the page is made to look hidden (the state
    // and its event) and its timers are made to wait a second, as a browser does then.
    await page.evaluate(() => {
      Object.defineProperty(document, "visibilityState", { configurable: true, get: () => "hidden" });
      document.dispatchEvent(new Event("visibilitychange"));
      const original = window.setTimeout;
      const throttled = (handler: TimerHandler, ms?: number, ...args: unknown[]) => original(handler, Math.max(ms ?? 0, 1000), ...args);
      Object.assign(window, { __setTimeout: original, setTimeout: throttled });
    });
    try {
      // 64 MiB, then a file. Held back to what this page parses, it would take minutes.
      const input = await page.evaluate(async (id) => {
        const response = await fetch(`/api/agents/${id}/input`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ text: "yes hidden-line | head -c 67108864; echo done > hidden-done.txt", submit: true }),
        });
        return response.status;
      }, agent.id);
      expect(input).toBe(204);
      const done = join(live.project, "hidden-done.txt");
      await expect.poll(() => existsSync(done), { timeout: 40_000, interval: 200 }).toBe(true);
    } finally {
      await page.evaluate(() => {
        Object.assign(window, { setTimeout: (window as unknown as { __setTimeout: typeof setTimeout }).__setTimeout });
        delete (document as unknown as Record<string, unknown>).visibilityState;
        document.dispatchEvent(new Event("visibilitychange"));
      });
    }
    expect(await page.evaluate(() => document.visibilityState)).toBe("visible");
    // Back in front: the pane shows the agent as it is now, and typing reaches it.
    await typeCommand("echo back-$((6*7))");
    await expect.poll(() => rows().textContent(), { timeout: 60_000, interval: 250 }).toContain("back-42");
  }, 180_000);
});
