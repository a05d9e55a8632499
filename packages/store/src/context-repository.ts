import { AgentIdSchema, ClustrError, ContextKeySchema, ContextValueSchema, type ContextEntry } from "@clustr/protocol";
import type { Database } from "better-sqlite3";
import { asc, eq, sql } from "drizzle-orm";
import type { StoreDatabase } from "./database.js";
import { ensure, parse, toClustrError } from "./errors.js";
import { contextEntries } from "./schema.js";
import { CompiledQuery, type BuiltQuery } from "./statements.js";
import { nowIso } from "./time.js";

/** A write to the context store. */
export interface ContextWrite {
  key: string;
  value: string;
  /** Agent id of the writer, or null for the user. */
  author: string | null;
  /**
   * The version the writer read: the write succeeds only if it is still current. `0` means
   * "only if the key does not exist". Left out: write whatever is there.
   */
  expectedVersion?: number;
}

/** Shared key-value notes with version numbers. */
export interface ContextRepository {
  get(key: string): ContextEntry | undefined;
  /** Every entry, by key. */
  list(): ContextEntry[];
  /**
   * Write and return the entry with its new version (a new key gets 1). A stale
   * `expectedVersion` — or one given for a key that does not exist — is a `version_conflict`
   * whose data holds `currentVersion` (null when the key does not exist).
   */
  set(write: ContextWrite): ContextEntry;
  /**
   * Delete; false if the key did not exist. With `expectedVersion`, a different current
   * version is a `version_conflict`.
   */
  delete(key: string, expectedVersion?: number): boolean;
}

const columns = {
  key: contextEntries.key,
  value: contextEntries.value,
  author: contextEntries.author,
  version: contextEntries.version,
  updatedAt: contextEntries.updatedAt,
};

const KEYS = Object.keys(columns) as (keyof ContextEntry)[];

const checkVersion = (version: number | undefined): void =>
  ensure(version === undefined || (Number.isSafeInteger(version) && version >= 0), "expectedVersion must be a non-negative integer", "expectedVersion");

export function createContextRepository(db: StoreDatabase, sqlite: Database): ContextRepository {
  const entries = <P extends Record<string, unknown>>(query: BuiltQuery) => new CompiledQuery<ContextEntry, P>(sqlite, query, KEYS);
  const live = entries<{ key: string }>(
    db
      .select(columns)
      .from(contextEntries)
      .where(sql`${contextEntries.key} = ${sql.placeholder("key")} AND ${contextEntries.deleted} = 0`),
  );
  // Tombstones included: a re-created key continues its version sequence.
  const any = new CompiledQuery<{ version: number; deleted: number }, { key: string }>(
    sqlite,
    db
      .select({ version: contextEntries.version, deleted: contextEntries.deleted })
      .from(contextEntries)
      .where(eq(contextEntries.key, sql.placeholder("key"))),
    ["version", "deleted"],
  );
  const all = entries(db.select(columns).from(contextEntries).where(eq(contextEntries.deleted, false)).orderBy(asc(contextEntries.key)));
  const upsert = entries<{ key: string; value: string; author: string | null; version: number; updatedAt: string }>(
    db
      .insert(contextEntries)
      .values({
        key: sql.placeholder("key"),
        value: sql.placeholder("value"),
        author: sql.placeholder("author"),
        version: sql.placeholder("version"),
        updatedAt: sql.placeholder("updatedAt"),
        deleted: false,
      })
      .onConflictDoUpdate({
        target: contextEntries.key,
        set: {
          value: sql`excluded.value`,
          author: sql`excluded.author`,
          version: sql`excluded.version`,
          updatedAt: sql`excluded.updated_at`,
          deleted: false,
        },
      })
      .returning(columns),
  );
  const tombstone = new CompiledQuery<never, { key: string; at: string }>(
    sqlite,
    db
      .update(contextEntries)
      .set({ deleted: true, value: "", updatedAt: sql`${sql.placeholder("at")}` })
      .where(eq(contextEntries.key, sql.placeholder("key"))),
  );

  const conflict = (key: string, expected: number, current: number | null): ClustrError =>
    new ClustrError(
      "version_conflict",
      current === null
        ? `context key "${key}" does not exist (expected version ${expected})`
        : `context key "${key}" is at version ${current}, not ${expected}`,
      { hint: "read the entry again and retry", data: { key, expectedVersion: expected, currentVersion: current } },
    );

  const run = <T>(fn: () => T): T => {
    try {
      return sqlite.transaction(fn).immediate();
    } catch (error) {
      throw toClustrError(error);
    }
  };

  return {
    get: (key) => live.get({ key }),
    list: () => all.all(),

    set(write) {
      const key = parse(ContextKeySchema, write.key, "key");
      const value = parse(ContextValueSchema, write.value, "value");
      const author = write.author === null ? null : parse(AgentIdSchema, write.author, "author");
      const expected = write.expectedVersion;
      checkVersion(expected);
      return run((): ContextEntry => {
        const current = any.get({ key });
        const liveVersion = current === undefined || current.deleted !== 0 ? null : current.version;
        if (expected !== undefined && expected !== (liveVersion ?? 0)) throw conflict(key, expected, liveVersion);
        const version = (current?.version ?? 0) + 1;
        return upsert.get({ key, value, author, version, updatedAt: nowIso() }) as ContextEntry;
      });
    },

    delete(key, expectedVersion) {
      checkVersion(expectedVersion);
      return run((): boolean => {
        const current = live.get({ key });
        if (current === undefined) return false;
        if (expectedVersion !== undefined && expectedVersion !== current.version) {
          throw conflict(key, expectedVersion, current.version);
        }
        tombstone.run({ key, at: nowIso() });
        return true;
      });
    },
  };
}
