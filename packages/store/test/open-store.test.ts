import { chmodSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { isClustrError } from "@clustr/protocol";
import { makeTempDir, type TempDir } from "@clustr/test-utils";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MIGRATIONS_FOLDER, openStore, type Store } from "../src/index.js";

const journal = JSON.parse(readFileSync(join(MIGRATIONS_FOLDER, "meta", "_journal.json"), "utf8")) as {
  entries: { when: number; tag: string }[];
};

describe("openStore", () => {
  let dir: TempDir;
  const opened: Store[] = [];
  beforeEach(async () => {
    dir = await makeTempDir("clustr-store-");
  });
  afterEach(async () => {
    for (const store of opened.splice(0)) await store.close();
    await dir.cleanup();
  });
  const open = (options: Parameters<typeof openStore>[0]) => {
    const store = openStore(options);
    opened.push(store);
    return store;
  };

  it("creates the data folder with mode 0700 and its layout, and opens clustr.db in it", () => {
    const root = join(dir.path, "home", ".clustr");
    const store = open({ dataDir: root });
    for (const sub of ["", "agents", "images", "checkpoints"]) {
      expect(statSync(join(root, sub)).mode & 0o777, `mode of ${sub || "root"}`).toBe(0o700);
    }
    expect(store.file).toBe(join(root, "clustr.db"));
    expect(store.layout?.rules).toBe(join(root, "rules.md"));
    expect(statSync(store.file).isFile()).toBe(true);
  });

  it("tightens an existing data folder with looser permissions to 0700", () => {
    const root = join(dir.path, "loose");
    mkdirSync(join(root, "images"), { recursive: true });
    chmodSync(root, 0o755);
    chmodSync(join(root, "images"), 0o777);
    open({ dataDir: root });
    expect(statSync(root).mode & 0o777).toBe(0o700);
    expect(statSync(join(root, "images")).mode & 0o777).toBe(0o700);
  });

  it("uses WAL, synchronous=FULL by default, foreign keys and a busy timeout", () => {
    const store = open({ dataDir: dir.path });
    const pragma = (name: string) => store.db.$client.pragma(name, { simple: true });
    expect(pragma("journal_mode")).toBe("wal");
    expect(pragma("synchronous")).toBe(2);
    expect(pragma("foreign_keys")).toBe(1);
    expect(pragma("busy_timeout")).toBe(5000);
  });

  it("honours synchronous=NORMAL when asked", () => {
    const store = open({ file: join(dir.path, "n.db"), synchronous: "NORMAL" });
    expect(store.db.$client.pragma("synchronous", { simple: true })).toBe(1);
  });

  it("applies the migrations once: reopening an existing database runs none again", async () => {
    const file = join(dir.path, "clustr.db");
    const first = openStore({ file });
    expect(first.migrationsApplied).toBe(journal.entries.length);
    const agent = first.agents.create({ name: "keep", kind: "command", task: "t", cwd: "/" });
    await first.close();

    const second = open({ file });
    expect(second.migrationsApplied).toBe(0);
    const recorded = second.db.$client.prepare("SELECT count(*) AS n FROM __drizzle_migrations").get() as { n: number };
    expect(recorded.n).toBe(journal.entries.length);
    expect(second.agents.get(agent.id)?.name).toBe("keep");
  });

  it("brings a database made by an older version up to date, applying only the missing migrations", () => {
    const file = join(dir.path, "old.db");
    const first = journal.entries[0]!;
    const firstSql = readFileSync(join(MIGRATIONS_FOLDER, `${first.tag}.sql`), "utf8");
    const raw = new Database(file);
    for (const statement of firstSql.split("--> statement-breakpoint")) raw.exec(statement);
    raw.exec("CREATE TABLE __drizzle_migrations (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at numeric)");
    raw.prepare("INSERT INTO __drizzle_migrations (hash, created_at) VALUES ('old', ?)").run(first.when);
    raw
      .prepare("INSERT INTO agents (id, name, kind, status, cwd, task, permission_mode, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
      .run("0123456789abcdef", "old", "command", "done", "/", "t", "edits", "2026-01-01T00:00:00.000Z");
    raw.close();

    const store = open({ file });
    expect(store.migrationsApplied).toBe(journal.entries.length - 1);
    expect(store.agents.get("0123456789abcdef")?.name).toBe("old");
    expect(store.agents.getInternal("0123456789abcdef")?.processStartTime).toBeNull();
  });

  it("refuses a database written by a newer version, leaving it untouched", () => {
    const file = join(dir.path, "newer.db");
    const raw = new Database(file);
    raw.exec("CREATE TABLE __drizzle_migrations (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at numeric)");
    raw.prepare("INSERT INTO __drizzle_migrations (hash, created_at) VALUES ('future', ?)").run(Date.now() + 10 ** 12);
    raw.close();
    let caught: unknown;
    try {
      openStore({ file });
    } catch (error) {
      caught = error;
    }
    expect(isClustrError(caught) && caught.code).toBe("conflict");
    const check = new Database(file, { readonly: true });
    const tables = check.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[];
    check.close();
    expect(tables.map((t) => t.name)).toEqual(["__drizzle_migrations"]);
  });

  it("rejects options without a place to open", () => {
    expect(() => openStore({} as Parameters<typeof openStore>[0])).toThrow(expect.objectContaining({ code: "validation_failed" }));
    expect(() => openStore({ file: join(dir.path, "x.db"), groupCommitWindowMs: -1 })).toThrow(
      expect.objectContaining({ code: "validation_failed" }),
    );
  });

  it("close() commits message sends still waiting for their group", async () => {
    const file = join(dir.path, "clustr.db");
    const store = openStore({ file, groupCommitWindowMs: 10_000 });
    const a = store.agents.create({ name: "a", kind: "command", task: "t", cwd: "/" });
    const pending = store.messages.send([{ from: null, to: a.id, body: "before close" }]);
    await store.close();
    const [message] = await pending;
    const reopened = open({ file });
    expect(reopened.messages.get(message!.id)?.body).toBe("before close");
    await expect(store.messages.send([{ from: null, to: a.id, body: "after close" }])).rejects.toThrow(/closed/);
  });
});
