import { AgentIdSchema, FileEventKindSchema, type FileEvent, type FileEventKind } from "@clustr/protocol";
import { dirname, isAbsolute, resolve } from "node:path";
import type { Database } from "better-sqlite3";
import { and, asc, eq, gt, gte, lt, or, sql, type SQL } from "drizzle-orm";
import type { StoreDatabase } from "./database.js";
import { ensure, parse, toClustrError } from "./errors.js";
import { pageBounds, type ListOptions } from "./list-options.js";
import { fileEventAgents, fileEvents } from "./schema.js";
import { CompiledQuery, type BuiltQuery } from "./statements.js";
import { nowIso } from "./time.js";

/** A change seen by the file watcher. */
export interface NewFileEvent {
  cwd: string;
  /** Relative to `cwd`, `/` separators. */
  path: string;
  kind: FileEventKind;
  /** Agents running in `cwd` at the time. */
  agentIds: readonly string[];
  /** Default: now. */
  at?: string;
}

/** Options of {@link FileEventsRepository.list}: the paged list's, plus place and time. */
export interface FileEventListOptions extends ListOptions {
  /**
   * Only changes inside this absolute folder: events stored for it or for a folder under it,
   * and events of a folder that contains it whose path lies inside it (the watcher stores a
   * change once, under the innermost watched folder).
   */
  cwd?: string;
  /** Only events at or after this ISO 8601 time. */
  since?: string;
}

/** The log of file changes. */
export interface FileEventsRepository {
  insert(event: NewFileEvent): FileEvent;
  /** Insert all in one transaction: all or none. */
  insertMany(events: readonly NewFileEvent[]): FileEvent[];
  /**
   * Oldest first; `agent` keeps events attributed to that agent id; `after` is an event id;
   * `cwd` and `since` keep events inside a folder and from a time on. Filters combine.
   */
  list(options?: FileEventListOptions): FileEvent[];
}

const columns = {
  id: fileEvents.id,
  cwd: fileEvents.cwd,
  path: fileEvents.path,
  kind: fileEvents.kind,
  agentIds: fileEvents.agentIds,
  at: fileEvents.at,
};

type Row = { id: number; cwd: string; path: string; kind: FileEventKind; agentIds: string; at: string };
const KEYS = Object.keys(columns) as (keyof Row)[];
const toEvent = (row: Row): FileEvent => ({ ...row, agentIds: JSON.parse(row.agentIds) as string[] });

function validate(event: NewFileEvent, i: number | undefined): Required<NewFileEvent> {
  const field = (name: string) => (i === undefined ? name : `events.${i}.${name}`);
  ensure(typeof event.cwd === "string" && event.cwd.length > 0, "cwd must be a non-empty path", field("cwd"));
  ensure(typeof event.path === "string" && event.path.length > 0, "path must be a non-empty path", field("path"));
  const kind = parse(FileEventKindSchema, event.kind, field("kind"));
  ensure(Array.isArray(event.agentIds), "agentIds must be a list of agent ids", field("agentIds"));
  const agentIds = [...new Set(event.agentIds.map((id, j) => parse(AgentIdSchema, id, `${field("agentIds")}.${j}`)))];
  const at = event.at ?? nowIso();
  ensure(typeof at === "string" && !Number.isNaN(Date.parse(at)), "at must be an ISO 8601 time", field("at"));
  return { cwd: event.cwd, path: event.path, kind, agentIds, at };
}

type PageParams = {
  after: number;
  limit: number;
  agent?: string;
  since?: string;
  cwd?: string;
  inside?: string;
  below?: string;
  ancestors?: string;
};

/**
 * The folder filter as index-friendly conditions over absolute POSIX paths. Under `C`, a path
 * starts with `C/`: it sorts from `C/` up to, not including, `C0` ('0' follows '/'), a range
 * the `(cwd, at)` index serves. A containing folder's events are found by its exact `cwd` (the
 * ancestors come as a JSON list) and kept when `cwd/path` falls in that range.
 */
function insideFolder(): SQL | undefined {
  const inside = sql.placeholder("inside");
  const below = sql.placeholder("below");
  const location = sql`(CASE WHEN ${fileEvents.cwd} = '/' THEN '' ELSE ${fileEvents.cwd} END || '/' || ${fileEvents.path})`;
  return or(
    eq(fileEvents.cwd, sql.placeholder("cwd")),
    and(gte(fileEvents.cwd, inside), lt(fileEvents.cwd, below)),
    and(
      sql`${fileEvents.cwd} IN (SELECT value FROM json_each(${sql.placeholder("ancestors")}))`,
      sql`${location} >= ${inside}`,
      sql`${location} < ${below}`,
    ),
  );
}

/** The placeholders of {@link insideFolder} for the folder `cwd`. */
function folderBounds(cwd: string): { cwd: string; inside: string; below: string; ancestors: string } {
  const folder = resolve(cwd);
  const ancestors: string[] = [];
  for (let child = folder, dir = dirname(folder); dir !== child; child = dir, dir = dirname(dir)) ancestors.push(dir);
  const prefix = folder === "/" ? "" : folder;
  return { cwd: folder, inside: `${prefix}/`, below: `${prefix}0`, ancestors: JSON.stringify(ancestors) };
}

export function createFileEventsRepository(db: StoreDatabase, sqlite: Database): FileEventsRepository {
  const events = <P extends Record<string, unknown>>(query: BuiltQuery) => new CompiledQuery<Row, P>(sqlite, query, KEYS);
  const insertEvent = new CompiledQuery<{ id: number }, { cwd: string; path: string; kind: string; agentIds: string; at: string }>(
    sqlite,
    db
      .insert(fileEvents)
      .values({
        cwd: sql.placeholder("cwd"),
        path: sql.placeholder("path"),
        kind: sql.placeholder("kind"),
        agentIds: sql.placeholder("agentIds"),
        at: sql.placeholder("at"),
      })
      .returning({ id: fileEvents.id }),
    ["id"],
  );
  const insertAgent = new CompiledQuery<never, { eventId: number; agentId: string }>(
    sqlite,
    db.insert(fileEventAgents).values({ eventId: sql.placeholder("eventId"), agentId: sql.placeholder("agentId") }),
  );
  // One statement per combination of filters, prepared when first used.
  const pages = new Map<string, CompiledQuery<Row, PageParams>>();
  const pageFor = (agent: boolean, cwd: boolean, since: boolean): CompiledQuery<Row, PageParams> => {
    const key = `${agent}${cwd}${since}`;
    let query = pages.get(key);
    if (query) return query;
    const filters = [cwd ? insideFolder() : undefined, since ? gte(fileEvents.at, sql.placeholder("since")) : undefined];
    const built = agent
      ? db
          .select(columns)
          .from(fileEventAgents)
          .innerJoin(fileEvents, eq(fileEvents.id, fileEventAgents.eventId))
          .where(and(eq(fileEventAgents.agentId, sql.placeholder("agent")), gt(fileEventAgents.eventId, sql.placeholder("after")), ...filters))
          .orderBy(asc(fileEventAgents.eventId))
          .limit(sql.placeholder("limit"))
      : db.select(columns).from(fileEvents).where(and(gt(fileEvents.id, sql.placeholder("after")), ...filters)).orderBy(asc(fileEvents.id)).limit(sql.placeholder("limit"));
    query = events<PageParams>(built);
    pages.set(key, query);
    return query;
  };

  const write = (event: Required<NewFileEvent>): FileEvent => {
    const agentIds = JSON.stringify(event.agentIds);
    const { id } = insertEvent.get({ cwd: event.cwd, path: event.path, kind: event.kind, agentIds, at: event.at }) as { id: number };
    for (const agentId of event.agentIds) insertAgent.run({ eventId: id, agentId });
    return { id, cwd: event.cwd, path: event.path, kind: event.kind, agentIds: [...event.agentIds], at: event.at };
  };
  const writeOne = sqlite.transaction(write);
  const writeMany = sqlite.transaction((events: Required<NewFileEvent>[]) => events.map(write));

  return {
    insert(event) {
      const valid = validate(event, undefined);
      try {
        // Without agents it is a single statement, atomic by itself.
        return valid.agentIds.length === 0 ? write(valid) : writeOne.immediate(valid);
      } catch (error) {
        throw toClustrError(error);
      }
    },

    insertMany(events) {
      ensure(Array.isArray(events), "events must be a list", "events");
      const valid = events.map((event, i) => validate(event, i));
      if (valid.length === 0) return [];
      try {
        return writeMany.immediate(valid);
      } catch (error) {
        throw toClustrError(error);
      }
    },

    list(options = {}) {
      const { after, limit } = pageBounds(options);
      const { agent, cwd, since } = options;
      if (cwd !== undefined) ensure(typeof cwd === "string" && isAbsolute(cwd), "cwd must be an absolute path", "cwd");
      if (since !== undefined) ensure(typeof since === "string" && !Number.isNaN(Date.parse(since)), "since must be an ISO 8601 time", "since");
      const params: PageParams = { after, limit };
      if (agent !== undefined) params.agent = agent;
      // Stored times are `toISOString` text, so the bound is compared in the same form.
      if (since !== undefined) params.since = new Date(since).toISOString();
      const query = pageFor(agent !== undefined, cwd !== undefined, since !== undefined);
      return query.all(cwd === undefined ? params : { ...params, ...folderBounds(cwd) }).map(toEvent);
    },
  };
}
