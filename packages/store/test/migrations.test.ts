import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { makeTempDir, spawnNode, waitForExit, type TempDir } from "@clustr/test-utils";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MIGRATIONS_FOLDER, openStore } from "../src/index.js";

const OPENER = fileURLToPath(new URL("./fixtures/open-store.mjs", import.meta.url));
const DIST = fileURLToPath(new URL("../dist/index.js", import.meta.url));
const journal = JSON.parse(readFileSync(join(MIGRATIONS_FOLDER, "meta", "_journal.json"), "utf8")) as { entries: unknown[] };

describe("migrations across processes", () => {
  let dir: TempDir;
  beforeEach(async () => {
    dir = await makeTempDir("clustr-store-");
  });
  afterEach(async () => {
    await dir.cleanup();
  });

  it("applies each migration once when several processes open a new database at the same time", async () => {
    expect(existsSync(DIST), `${DIST} is missing: build the package first`).toBe(true);
    const file = join(dir.path, "clustr.db");
    const runs = Array.from({ length: 4 }, () => spawnNode(OPENER, [file]));
    const exits = await Promise.all(runs.map((run) => waitForExit(run.child)));
    exits.forEach((exit, i) => expect(exit.code, runs[i]!.stderr()).toBe(0));
    const applied = runs.map((run) => Number(/^applied (\d+)$/m.exec(run.stdout())?.[1] ?? NaN));
    expect(applied.reduce((a, b) => a + b, 0)).toBe(journal.entries.length);

    const store = openStore({ file });
    try {
      expect(store.migrationsApplied).toBe(0);
      const recorded = store.db.$client.prepare("SELECT count(*) AS n FROM __drizzle_migrations").get() as { n: number };
      expect(recorded.n).toBe(journal.entries.length);
    } finally {
      await store.close();
    }
  }, 60_000);
});
