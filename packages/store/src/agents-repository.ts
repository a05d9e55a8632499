import {
  AgentActivitySchema,
  AgentErrorSchema,
  AgentIdSchema,
  AgentKindSchema,
  AgentNameSchema,
  AgentStatusSchema,
  ClustrError,
  ENDED_STATUSES,
  PermissionModeSchema,
  TimestampSchema,
  isEnded,
  type Agent,
  type AgentActivity,
  type AgentError,
  type AgentKind,
  type AgentStatus,
  type PermissionMode,
} from "@clustr/protocol";
import type { Database } from "better-sqlite3";
import { asc, desc, eq, getTableColumns, inArray, notInArray, sql } from "drizzle-orm";
import { ensure, isForeignKeyViolation, isUniqueViolation, parse, sqliteMessage, toClustrError } from "./errors.js";
import { newId } from "./ids.js";
import { agents } from "./schema.js";
import { CompiledQuery, type BuiltQuery } from "./statements.js";
import type { StoreDatabase } from "./database.js";
import { nowIso } from "./time.js";

/** What `agents.create` needs. The id, status `starting` and `createdAt` are set by the store. */
export interface NewAgent {
  name: string;
  kind: AgentKind;
  task: string;
  cwd: string;
  parentId?: string | null;
  /** Default `edits`. */
  permissionMode?: PermissionMode;
  /** Program of a command agent. */
  command?: string | null;
  args?: string[];
  /** Image ids attached to the task. */
  images?: string[];
  /** 1 (the default) for an agent the user spawned, parent's depth + 1 for a child. */
  depth?: number;
  /** sha256 hex of the agent's bridge token. */
  tokenHash?: string | null;
}

/** Fields `agents.update` may change; a field left out keeps its value. */
export interface AgentPatch {
  status?: AgentStatus;
  activity?: AgentActivity | null;
  pid?: number | null;
  exitCode?: number | null;
  error?: AgentError | null;
  sessionId?: string | null;
  checkpointId?: string | null;
  endedAt?: string | null;
  tokenHash?: string | null;
  /** Start time of the process `pid`, as the OS reports it (kept beside the wire Agent). */
  processStartTime?: string | null;
}

/** An agent with what the store keeps beside the wire `Agent`; never send this on the wire. */
export interface AgentInternals {
  agent: Agent;
  command: string | null;
  args: string[];
  images: string[];
  depth: number;
  tokenHash: string | null;
  processStartTime: string | null;
}

/** Agents, live and ended. */
export interface AgentsRepository {
  /** Insert a new agent with a fresh id, status `starting`; `name_taken` if a live agent has the name. */
  create(input: NewAgent): Agent;
  get(id: string): Agent | undefined;
  /** The live agent with this name, else the most recently created one. */
  getByName(name: string): Agent | undefined;
  /** Every agent, oldest first. */
  list(): Agent[];
  /** Agents that have not ended (`starting` or `running`), oldest first. */
  listLive(): Agent[];
  getInternal(id: string): AgentInternals | undefined;
  /** The agent whose token hashes to `hash` (sha256 hex), ended or not. */
  findByTokenHash(hash: string): AgentInternals | undefined;
  /**
   * Change fields and return the new Agent (`not_found` if there is none). Moving to an ended
   * status sets `endedAt` (now, unless given) and clears `activity`; an ended agent never
   * becomes live again (`conflict`).
   */
  update(id: string, patch: AgentPatch): Agent;
  /** Delete an ended agent with its messages (`agent_not_ended` while it is live, `not_found` if absent). */
  remove(id: string): void;
}

type AgentRow = typeof agents.$inferSelect;

const AGENT_KEYS = Object.keys(getTableColumns(agents)) as (keyof AgentRow)[];
const LIVE_ORDER = sql`CASE WHEN ${agents.status} IN ('done', 'failed', 'killed') THEN 1 ELSE 0 END`;
const TOKEN_HASH = /^[0-9a-f]{64}$/;

function toAgent(row: AgentRow): Agent {
  return {
    id: row.id,
    name: row.name,
    kind: row.kind,
    status: row.status,
    activity: row.activity,
    cwd: row.cwd,
    task: row.task,
    parentId: row.parentId,
    permissionMode: row.permissionMode,
    pid: row.pid,
    exitCode: row.exitCode,
    error: row.error === null ? null : (JSON.parse(row.error) as AgentError),
    sessionId: row.sessionId,
    checkpointId: row.checkpointId,
    createdAt: row.createdAt,
    endedAt: row.endedAt,
  };
}

function toInternals(row: AgentRow): AgentInternals {
  return {
    agent: toAgent(row),
    command: row.command,
    args: JSON.parse(row.args) as string[],
    images: JSON.parse(row.images) as string[],
    depth: row.depth,
    tokenHash: row.tokenHash,
    processStartTime: row.processStartTime,
  };
}

const optionalInt = (value: number | null | undefined, field: string): void =>
  ensure(value === undefined || value === null || Number.isSafeInteger(value), `${field} must be an integer or null`, field);
const optionalText = (value: string | null | undefined, field: string): void =>
  ensure(value === undefined || value === null || typeof value === "string", `${field} must be text or null`, field);
const optionalTokenHash = (value: string | null | undefined): void =>
  ensure(value === undefined || value === null || (typeof value === "string" && TOKEN_HASH.test(value)), "tokenHash must be 64 lowercase hex characters", "tokenHash");

export function createAgentsRepository(db: StoreDatabase, sqlite: Database): AgentsRepository {
  const rows = <P extends Record<string, unknown>>(query: BuiltQuery) => new CompiledQuery<AgentRow, P>(sqlite, query, AGENT_KEYS);
  const byId = rows<{ id: string }>(db.select().from(agents).where(eq(agents.id, sql.placeholder("id"))));
  const byName = rows<{ name: string }>(
    db
      .select()
      .from(agents)
      .where(eq(agents.name, sql.placeholder("name")))
      .orderBy(LIVE_ORDER, desc(agents.createdAt), desc(sql`rowid`))
      .limit(1),
  );
  const byTokenHash = rows<{ hash: string }>(
    db
      .select()
      .from(agents)
      .where(eq(agents.tokenHash, sql.placeholder("hash")))
      .orderBy(LIVE_ORDER, desc(agents.createdAt))
      .limit(1),
  );
  const all = rows(db.select().from(agents).orderBy(asc(agents.createdAt), asc(sql`rowid`)));
  const live = rows(
    db
      .select()
      .from(agents)
      .where(notInArray(agents.status, [...ENDED_STATUSES]))
      .orderBy(asc(agents.createdAt), asc(sql`rowid`)),
  );
  const liveByName = new CompiledQuery<{ id: string }, { name: string }>(
    sqlite,
    db
      .select({ id: agents.id })
      .from(agents)
      .where(sql`${agents.name} = ${sql.placeholder("name")} AND ${inArray(agents.status, ["starting", "running"])}`),
    ["id"],
  );

  const nameTaken = (name: string): ClustrError => {
    const holder = liveByName.get({ name });
    return new ClustrError("name_taken", `an agent named "${name}" is still running`, {
      hint: "pick another name, or wait until that agent has ended",
      data: { name, agentId: holder?.id },
    });
  };

  const get = (id: string): Agent | undefined => {
    const row = byId.get({ id });
    return row === undefined ? undefined : toAgent(row);
  };

  return {
    create(input) {
      const name = parse(AgentNameSchema, input.name, "name");
      const kind = parse(AgentKindSchema, input.kind, "kind");
      const permissionMode = parse(PermissionModeSchema, input.permissionMode ?? "edits", "permissionMode");
      ensure(typeof input.task === "string", "task must be text", "task");
      ensure(typeof input.cwd === "string" && input.cwd.length > 0, "cwd must be a non-empty path", "cwd");
      const parentId = input.parentId ?? null;
      if (parentId !== null) parse(AgentIdSchema, parentId, "parentId");
      optionalText(input.command, "command");
      const args = input.args ?? [];
      const images = input.images ?? [];
      ensure(Array.isArray(args) && args.every((a) => typeof a === "string"), "args must be a list of strings", "args");
      ensure(Array.isArray(images) && images.every((a) => typeof a === "string"), "images must be a list of strings", "images");
      const depth = input.depth ?? 1;
      ensure(Number.isSafeInteger(depth) && depth >= 1, "depth must be a positive integer", "depth");
      optionalTokenHash(input.tokenHash);

      // A fresh random id colliding is all but impossible; retry a few times rather than fail.
      for (let attempt = 0; ; attempt++) {
        const values = {
          id: newId(),
          name,
          kind,
          status: "starting" as const,
          activity: null,
          cwd: input.cwd,
          task: input.task,
          parentId,
          permissionMode,
          createdAt: nowIso(),
          command: input.command ?? null,
          args: JSON.stringify(args),
          images: JSON.stringify(images),
          depth,
          tokenHash: input.tokenHash ?? null,
        };
        try {
          const row = db.insert(agents).values(values).returning().get();
          return toAgent(row);
        } catch (error) {
          if (isUniqueViolation(error) && sqliteMessage(error).includes("agents.name")) throw nameTaken(name);
          if (isUniqueViolation(error) && attempt < 3) continue;
          if (isForeignKeyViolation(error)) {
            throw new ClustrError("not_found", `parent agent ${parentId ?? ""} not found`, { data: { parentId } });
          }
          throw toClustrError(error);
        }
      }
    },

    get,

    getByName(name) {
      const row = byName.get({ name });
      return row === undefined ? undefined : toAgent(row);
    },

    list: () => all.all().map(toAgent),
    listLive: () => live.all().map(toAgent),

    getInternal(id) {
      const row = byId.get({ id });
      return row === undefined ? undefined : toInternals(row);
    },

    findByTokenHash(hash) {
      const row = byTokenHash.get({ hash });
      return row === undefined ? undefined : toInternals(row);
    },

    update(id, patch) {
      const set: Partial<AgentRow> = {};
      if (patch.status !== undefined) set.status = parse(AgentStatusSchema, patch.status, "status");
      if (patch.activity !== undefined) set.activity = patch.activity === null ? null : parse(AgentActivitySchema, patch.activity, "activity");
      optionalInt(patch.pid, "pid");
      if (patch.pid !== undefined) set.pid = patch.pid;
      optionalInt(patch.exitCode, "exitCode");
      if (patch.exitCode !== undefined) set.exitCode = patch.exitCode;
      if (patch.error !== undefined) set.error = patch.error === null ? null : JSON.stringify(parse(AgentErrorSchema, patch.error, "error"));
      optionalText(patch.sessionId, "sessionId");
      if (patch.sessionId !== undefined) set.sessionId = patch.sessionId;
      optionalText(patch.checkpointId, "checkpointId");
      if (patch.checkpointId !== undefined) set.checkpointId = patch.checkpointId;
      if (patch.endedAt !== undefined) set.endedAt = patch.endedAt === null ? null : parse(TimestampSchema, patch.endedAt, "endedAt");
      optionalTokenHash(patch.tokenHash);
      if (patch.tokenHash !== undefined) set.tokenHash = patch.tokenHash;
      optionalText(patch.processStartTime, "processStartTime");
      if (patch.processStartTime !== undefined) set.processStartTime = patch.processStartTime;

      const apply = sqlite.transaction((): Agent => {
        const current = byId.get({ id });
        if (current === undefined) throw new ClustrError("not_found", `agent ${id} not found`, { data: { id } });
        if (set.status !== undefined && isEnded(current.status) && !isEnded(set.status)) {
          throw new ClustrError("conflict", `agent ${current.name} has ended (${current.status}) and cannot become ${set.status}`, {
            data: { id, status: current.status },
          });
        }
        if (set.status !== undefined && isEnded(set.status) && !isEnded(current.status)) {
          if (set.endedAt === undefined) set.endedAt = nowIso();
          if (set.activity === undefined) set.activity = null;
        }
        if (Object.keys(set).length === 0) return toAgent(current);
        try {
          return toAgent(db.update(agents).set(set).where(eq(agents.id, id)).returning().get());
        } catch (error) {
          if (isUniqueViolation(error)) throw nameTaken(current.name);
          throw toClustrError(error);
        }
      });
      return apply.immediate();
    },

    remove(id) {
      const apply = sqlite.transaction((): void => {
        const current = byId.get({ id });
        if (current === undefined) throw new ClustrError("not_found", `agent ${id} not found`, { data: { id } });
        if (!isEnded(current.status)) {
          throw new ClustrError("agent_not_ended", `agent ${current.name} is ${current.status}; kill it before removing it`, {
            data: { id, status: current.status },
          });
        }
        db.delete(agents).where(eq(agents.id, id)).run();
      });
      apply.immediate();
    },
  };
}
