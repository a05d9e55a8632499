import type { Database } from "better-sqlite3";
import type { BetterSQLite3Database } from "drizzle-orm/better-sqlite3";
import type * as schema from "./schema.js";

/** The drizzle instance over the store's SQLite file, typed with its schema; `$client` is the connection. */
export type StoreDatabase = BetterSQLite3Database<typeof schema> & { $client: Database };
