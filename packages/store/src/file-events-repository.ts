import { AgentIdSchema, FileEventKindSchema, type FileEvent, type FileEventKind } from "@clustr/protocol";
import type { Database } from "better-sqlite3";
import { and, asc, eq, gt, sql } from "drizzle-orm";
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

/** The log of file changes. */
export interface FileEventsRepository {
  insert(event: NewFileEvent): FileEvent;
  /** Insert all in one transaction: all or none. */
  insertMany(events: readonly NewFileEvent[]): FileEvent[];
  /** Oldest first; `agent` keeps events attributed to that agent id; `after` is an event id. */
  list(options?: ListOptions): FileEvent[];
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
  const page = events<{ after: number; limit: number }>(
    db.select(columns).from(fileEvents).where(gt(fileEvents.id, sql.placeholder("after"))).orderBy(asc(fileEvents.id)).limit(sql.placeholder("limit")),
  );
  const pageForAgent = events<{ agent: string; after: number; limit: number }>(
    db
      .select(columns)
      .from(fileEventAgents)
      .innerJoin(fileEvents, eq(fileEvents.id, fileEventAgents.eventId))
      .where(and(eq(fileEventAgents.agentId, sql.placeholder("agent")), gt(fileEventAgents.eventId, sql.placeholder("after"))))
      .orderBy(asc(fileEventAgents.eventId))
      .limit(sql.placeholder("limit")),
  );

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
      if (options.agent === undefined) return page.all({ after, limit }).map(toEvent);
      return pageForAgent.all({ agent: options.agent, after, limit }).map(toEvent);
    },
  };
}
