import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { makeTempDir, spawnNode, waitFor, waitForExit, type TempDir } from "@clustr/test-utils";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openStore } from "../src/index.js";

const WRITER = fileURLToPath(new URL("./fixtures/message-writer.mjs", import.meta.url));
const DIST = fileURLToPath(new URL("../dist/index.js", import.meta.url));
const TOTAL = 1000;
const KILL_AFTER = 150;

describe("group commit durability", () => {
  let dir: TempDir;
  beforeEach(async () => {
    dir = await makeTempDir("clustr-store-");
  });
  afterEach(async () => {
    await dir.cleanup();
  });

  it("keeps every acknowledged message when the writer is killed with SIGKILL midway", async () => {
    // The writer runs the built package; the root `pnpm test` builds first.
    expect(existsSync(DIST), `${DIST} is missing: build the package first`).toBe(true);
    const file = join(dir.path, "clustr.db");
    const { child, stdout, stderr } = spawnNode(WRITER, [file, String(TOTAL), "10"]);
    const acks = () => [...stdout().matchAll(/^ack (\d+) (\d+)\n/gm)].map((m) => ({ id: Number(m[1]), seq: Number(m[2]) }));

    await waitFor(() => acks().length >= KILL_AFTER || child.exitCode !== null, {
      timeoutMs: 60_000,
      what: `${KILL_AFTER} acknowledged messages (stderr: ${stderr()})`,
    });
    child.kill("SIGKILL");
    const exit = await waitForExit(child);
    expect(exit.signal).toBe("SIGKILL");

    // Only whole lines count: a line cut by the kill was not an acknowledgement.
    const acknowledged = acks();
    expect(acknowledged.length).toBeGreaterThanOrEqual(KILL_AFTER);
    expect(acknowledged.length).toBeLessThan(TOTAL);
    expect(stdout()).not.toContain("done");

    const store = openStore({ file });
    try {
      expect(store.migrationsApplied).toBe(0);
      expect(store.db.$client.pragma("integrity_check", { simple: true })).toBe("ok");
      for (const { id, seq } of acknowledged) {
        expect(store.messages.get(id)?.body, `message ${id}`).toBe(`m${seq}`);
      }
      const stored = store.messages.list({ limit: TOTAL });
      expect(stored.length).toBeGreaterThanOrEqual(acknowledged.length);
      // No half-written rows: every stored message is whole.
      for (const message of stored) expect(message.body).toMatch(/^m\d+$/);
    } finally {
      await store.close();
    }
  }, 120_000);
});
