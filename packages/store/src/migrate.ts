import { fileURLToPath } from "node:url";
import type { Database } from "better-sqlite3";
import { readMigrationFiles } from "drizzle-orm/migrator";
import { ClustrError } from "@clustr/protocol";

/** The generated migrations, next to `src/` and `dist/` alike, so it works from a published install. */
export const MIGRATIONS_FOLDER = fileURLToPath(new URL("../drizzle", import.meta.url));

// drizzle's own bookkeeping table and layout, so drizzle-kit sees the same history.
const MIGRATIONS_TABLE = "__drizzle_migrations";

/**
 * Apply the migrations the database has not seen yet, in one immediate transaction.
 *
 * drizzle's migrator reads the last applied migration before it takes the write lock, so two
 * processes opening a new file at once could both apply it; reading inside `BEGIN IMMEDIATE`
 * makes the second one wait and then find nothing to do. Returns how many were applied.
 */
export function applyMigrations(sqlite: Database, folder: string = MIGRATIONS_FOLDER): number {
  const migrations = readMigrationFiles({ migrationsFolder: folder });
  const run = sqlite.transaction((): number => {
    sqlite.exec(`CREATE TABLE IF NOT EXISTS "${MIGRATIONS_TABLE}" (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at numeric)`);
    const last = sqlite.prepare(`SELECT created_at AS at FROM "${MIGRATIONS_TABLE}" ORDER BY created_at DESC LIMIT 1`).get() as
      | { at: number | string }
      | undefined;
    const lastAt = last === undefined ? -1 : Number(last.at);
    const newest = migrations.reduce((max, m) => Math.max(max, m.folderMillis), -1);
    if (lastAt > newest) {
      throw new ClustrError("conflict", "the database was written by a newer version of Clustr", {
        hint: "upgrade Clustr, or move the data folder aside",
        data: { databaseMigration: lastAt, knownMigration: newest },
      });
    }
    const record = sqlite.prepare(`INSERT INTO "${MIGRATIONS_TABLE}" ("hash", "created_at") VALUES (?, ?)`);
    let applied = 0;
    for (const migration of migrations) {
      if (migration.folderMillis <= lastAt) continue;
      for (const statement of migration.sql) {
        if (statement.trim() !== "") sqlite.exec(statement);
      }
      record.run(migration.hash, migration.folderMillis);
      applied++;
    }
    return applied;
  });
  return run.immediate();
}
