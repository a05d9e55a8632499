import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

// Times are ISO 8601 text in UTC (`Date.prototype.toISOString`): they sort like the instants
// they name, and rows go out on the wire without a conversion on every read.
// This file is read by drizzle-kit to generate `drizzle/`: it may import drizzle-orm only.

/** Agents, live and ended. `name` is unique among agents that have not ended. */
export const agents = sqliteTable(
  "agents",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    kind: text("kind", { enum: ["claude", "codex", "command"] }).notNull(),
    status: text("status", { enum: ["starting", "running", "done", "failed", "killed"] }).notNull(),
    activity: text("activity", { enum: ["busy", "idle", "needs-input"] }),
    cwd: text("cwd").notNull(),
    task: text("task").notNull(),
    parentId: text("parent_id").references((): ReturnType<typeof text> => agents.id, { onDelete: "set null" }),
    permissionMode: text("permission_mode", { enum: ["ask", "edits", "bypass"] }).notNull(),
    pid: integer("pid"),
    exitCode: integer("exit_code"),
    /** JSON of the protocol's AgentError. */
    error: text("error"),
    sessionId: text("session_id"),
    checkpointId: text("checkpoint_id"),
    createdAt: text("created_at").notNull(),
    endedAt: text("ended_at"),
    command: text("command"),
    /** JSON array of strings. */
    args: text("args").notNull().default("[]"),
    /** JSON array of image ids. */
    images: text("images").notNull().default("[]"),
    /** 1 for an agent the user spawned, parent's depth + 1 for a child. */
    depth: integer("depth").notNull().default(1),
    /** sha256 hex of the agent's bridge token; the token itself is never stored. */
    tokenHash: text("token_hash"),
    /** Start time of the process `pid` as the OS reports it, to tell a reused pid apart. */
    processStartTime: text("process_start_time"),
  },
  (t) => [
    uniqueIndex("agents_live_name_unique")
      .on(t.name)
      .where(sql`${t.status} NOT IN ('done', 'failed', 'killed')`),
    index("agents_name_idx").on(t.name, t.createdAt),
    index("agents_status_idx").on(t.status),
    index("agents_token_hash_idx").on(t.tokenHash),
    index("agents_parent_idx").on(t.parentId),
  ],
);

/**
 * One row per recipient. Removing an agent removes the messages it sent or received: a
 * message whose sender became `null` would read as one from the user.
 */
export const messages = sqliteTable(
  "messages",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    fromId: text("from_id").references(() => agents.id, { onDelete: "cascade" }),
    toId: text("to_id")
      .notNull()
      .references(() => agents.id, { onDelete: "cascade" }),
    body: text("body").notNull(),
    state: text("state", { enum: ["queued", "delivered", "read"] }).notNull(),
    createdAt: text("created_at").notNull(),
    deliveredAt: text("delivered_at"),
    readAt: text("read_at"),
  },
  (t) => [
    index("messages_to_state_idx").on(t.toId, t.state, t.id),
    index("messages_to_idx").on(t.toId, t.id),
    index("messages_from_idx").on(t.fromId, t.id),
  ],
);

/**
 * Shared notes. A deleted key keeps a tombstone row (`deleted = 1`) with its last version, so
 * a re-created key continues the version sequence and a writer holding a version read before
 * the delete still gets a conflict.
 */
export const contextEntries = sqliteTable("context_entries", {
  key: text("key").primaryKey(),
  value: text("value").notNull(),
  author: text("author"),
  version: integer("version").notNull(),
  updatedAt: text("updated_at").notNull(),
  deleted: integer("deleted", { mode: "boolean" }).notNull().default(false),
});

export const fileEvents = sqliteTable(
  "file_events",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    cwd: text("cwd").notNull(),
    path: text("path").notNull(),
    kind: text("kind", { enum: ["add", "change", "unlink"] }).notNull(),
    /** JSON array of agent ids, as attributed when the event happened. */
    agentIds: text("agent_ids").notNull(),
    at: text("at").notNull(),
  },
  // Serves `list`'s folder and time filters: equal or ranged `cwd`, then `at` from a time on.
  (t) => [index("file_events_cwd_at_idx").on(t.cwd, t.at)],
);

/**
 * The agents of each file event, for filtering by agent with an index. Agent ids are kept
 * as recorded (no foreign key): the log outlives removed agents.
 */
export const fileEventAgents = sqliteTable(
  "file_event_agents",
  {
    eventId: integer("event_id")
      .notNull()
      .references(() => fileEvents.id, { onDelete: "cascade" }),
    agentId: text("agent_id").notNull(),
  },
  (t) => [primaryKey({ columns: [t.agentId, t.eventId] }), index("file_event_agents_event_idx").on(t.eventId)],
);

export const checkpoints = sqliteTable(
  "checkpoints",
  {
    id: text("id").primaryKey(),
    cwd: text("cwd").notNull(),
    commit: text("commit").notNull(),
    agentId: text("agent_id").references(() => agents.id, { onDelete: "set null" }),
    reason: text("reason", { enum: ["agent-start", "pre-rollback", "manual"] }).notNull(),
    createdAt: text("created_at").notNull(),
  },
  (t) => [index("checkpoints_cwd_idx").on(t.cwd, t.createdAt), index("checkpoints_agent_idx").on(t.agentId, t.createdAt)],
);
