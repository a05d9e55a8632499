import Database from "better-sqlite3";
import { ClustrError } from "@clustr/protocol";
import { drizzle } from "drizzle-orm/better-sqlite3";
import { createAgentsRepository, type AgentsRepository } from "./agents-repository.js";
import { createCheckpointsRepository, type CheckpointsRepository } from "./checkpoints-repository.js";
import { createContextRepository, type ContextRepository } from "./context-repository.js";
import type { StoreDatabase } from "./database.js";
import { ensureDataDir, type DataDirLayout } from "./data-dir.js";
import { toClustrError } from "./errors.js";
import { createFileEventsRepository, type FileEventsRepository } from "./file-events-repository.js";
import { GroupCommit } from "./group-commit.js";
import { createMessagesRepository, type MessagesRepository } from "./messages-repository.js";
import { applyMigrations } from "./migrate.js";
import * as schema from "./schema.js";

/** How long a connection waits for another's write lock before SQLITE_BUSY. */
const DEFAULT_BUSY_TIMEOUT_MS = 5_000;
/**
 * How long the first message of a group waits for others. Short enough not to be felt in a
 * send's latency, long enough to gather requests that arrive together.
 */
const DEFAULT_GROUP_COMMIT_WINDOW_MS = 2;

/** Where and how to open the store: `dataDir` (the data folder) or `file` (a bare database file). */
export type OpenStoreOptions = ({ dataDir: string; file?: undefined } | { file: string; dataDir?: undefined }) & {
  /**
   * `FULL` (default): a committed write is on disk when acknowledged. `NORMAL`: commits are
   * not fsynced; a power loss may drop the last ones (a crash of the process never does).
   */
  synchronous?: "FULL" | "NORMAL";
  /** Window of the message group commit in ms (default 2; 0 commits on the next turn of the event loop). */
  groupCommitWindowMs?: number;
  busyTimeoutMs?: number;
};

/** An open store: repositories over one SQLite database. */
export interface Store {
  readonly agents: AgentsRepository;
  readonly messages: MessagesRepository;
  readonly context: ContextRepository;
  readonly fileEvents: FileEventsRepository;
  readonly checkpoints: CheckpointsRepository;
  /** The drizzle instance, for queries the repositories do not cover. */
  readonly db: StoreDatabase;
  /** Path of the database file. */
  readonly file: string;
  /** The data folder's layout when opened with `dataDir`, else null. */
  readonly layout: DataDirLayout | null;
  /** Migrations applied by this open (0 when the database was up to date). */
  readonly migrationsApplied: number;
  /** Groups and messages committed by the message group commit since the store opened. */
  readonly groupCommitStats: { readonly groups: number; readonly jobs: number };
  /** Commit pending message sends, then close the database. Done by the time it returns. */
  close(): Promise<void>;
}

/**
 * Open (creating if needed) the store: with `dataDir`, the data folder is created (0700) with
 * its layout and `clustr.db` opened in it. Sets WAL, `synchronous`, foreign keys and a busy
 * timeout, then applies the migrations the file has not seen.
 */
export function openStore(options: OpenStoreOptions): Store {
  const { dataDir, file: bareFile } = options;
  if ((dataDir === undefined) === (bareFile === undefined)) {
    throw new ClustrError("validation_failed", "openStore needs either dataDir or file");
  }
  const synchronous = options.synchronous ?? "FULL";
  if (synchronous !== "FULL" && synchronous !== "NORMAL") {
    throw new ClustrError("validation_failed", "synchronous must be FULL or NORMAL");
  }
  const windowMs = options.groupCommitWindowMs ?? DEFAULT_GROUP_COMMIT_WINDOW_MS;
  if (!Number.isFinite(windowMs) || windowMs < 0) {
    throw new ClustrError("validation_failed", "groupCommitWindowMs must be a non-negative number");
  }
  const busyTimeoutMs = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
  if (!Number.isSafeInteger(busyTimeoutMs) || busyTimeoutMs < 0) {
    throw new ClustrError("validation_failed", "busyTimeoutMs must be a non-negative integer");
  }

  const layout = dataDir === undefined ? null : ensureDataDir(dataDir);
  const file = layout === null ? (bareFile as string) : layout.db;

  let sqlite: Database.Database;
  try {
    sqlite = new Database(file);
  } catch (error) {
    throw toClustrError(error);
  }
  try {
    // busy_timeout first: the pragmas and migrations below may meet another connection's lock.
    sqlite.pragma(`busy_timeout = ${busyTimeoutMs}`);
    const mode = sqlite.pragma("journal_mode = WAL", { simple: true });
    if (String(mode).toLowerCase() !== "wal") {
      throw new ClustrError("internal", `the database at ${file} cannot use WAL (journal mode ${String(mode)})`);
    }
    sqlite.pragma(`synchronous = ${synchronous}`);
    sqlite.pragma("foreign_keys = ON");
    const migrationsApplied = applyMigrations(sqlite);

    const db = drizzle({ client: sqlite, schema });
    const group = new GroupCommit(sqlite, windowMs);
    let closed = false;
    return {
      agents: createAgentsRepository(db, sqlite),
      messages: createMessagesRepository(db, sqlite, group),
      context: createContextRepository(db, sqlite),
      fileEvents: createFileEventsRepository(db, sqlite),
      checkpoints: createCheckpointsRepository(db, sqlite),
      db,
      file,
      layout,
      migrationsApplied,
      groupCommitStats: group.stats,
      close() {
        if (!closed) {
          closed = true;
          group.close();
          sqlite.close();
        }
        return Promise.resolve();
      },
    };
  } catch (error) {
    sqlite.close();
    throw toClustrError(error);
  }
}
