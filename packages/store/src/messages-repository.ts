import { AgentIdSchema, ClustrError, MessageBodyTextSchema, type Message } from "@clustr/protocol";
import type { Database } from "better-sqlite3";
import { and, asc, eq, gt, inArray, ne, or, sql } from "drizzle-orm";
import type { StoreDatabase } from "./database.js";
import { ensure, isForeignKeyViolation, parse, toClustrError } from "./errors.js";
import type { GroupCommit } from "./group-commit.js";
import { pageBounds, type ListOptions } from "./list-options.js";
import { agents, messages } from "./schema.js";
import { CompiledQuery, type BuiltQuery } from "./statements.js";
import { nowIso } from "./time.js";

/** One message to store: `from` an agent id or null for the user, `to` an agent id. */
export interface NewMessage {
  from: string | null;
  to: string;
  body: string;
}

/** Messages, one row per recipient. */
export interface MessagesRepository {
  /**
   * Store one logical send (a direct message, or a broadcast's rows) through the group commit:
   * all rows or none, resolved once committed, in input order with their ids and `queued`.
   * Unknown sender or recipient: `unknown_recipient`; bad input: `validation_failed`.
   */
  send(inputs: readonly NewMessage[]): Promise<Message[]>;
  get(id: number): Message | undefined;
  /** Oldest first; `agent` keeps messages from or to that agent id; `after` is a message id. */
  list(options?: ListOptions): Message[];
  /** Messages to the agent not yet read, oldest first. */
  unreadFor(agentId: string): Message[];
  /** Messages to the agent not yet delivered, oldest first. */
  queuedFor(agentId: string): Message[];
  /** Mark queued messages delivered; returns the messages that changed, in id order. */
  markDelivered(ids: readonly number[]): Message[];
  /** Mark messages read (and delivered, if they were not); returns the messages that changed. */
  markRead(ids: readonly number[]): Message[];
}

const columns = {
  id: messages.id,
  from: messages.fromId,
  to: messages.toId,
  body: messages.body,
  state: messages.state,
  createdAt: messages.createdAt,
  deliveredAt: messages.deliveredAt,
  readAt: messages.readAt,
};

const KEYS = Object.keys(columns) as (keyof Message)[];

const ids = (values: readonly number[]): number[] => {
  ensure(Array.isArray(values) && values.every((v) => Number.isSafeInteger(v) && v > 0), "ids must be positive integers", "ids");
  return [...new Set(values)].sort((a, b) => a - b);
};

export function createMessagesRepository(db: StoreDatabase, sqlite: Database, group: GroupCommit): MessagesRepository {
  const rows = <P extends Record<string, unknown>>(query: BuiltQuery) => new CompiledQuery<Message, P>(sqlite, query, KEYS);
  const insert = rows<{ from: string | null; to: string; body: string; createdAt: string }>(
    db
      .insert(messages)
      .values({
        fromId: sql.placeholder("from"),
        toId: sql.placeholder("to"),
        body: sql.placeholder("body"),
        state: "queued",
        createdAt: sql.placeholder("createdAt"),
      })
      .returning(columns),
  );
  const byId = rows<{ id: number }>(db.select(columns).from(messages).where(eq(messages.id, sql.placeholder("id"))));
  const page = rows<{ after: number; limit: number }>(
    db.select(columns).from(messages).where(gt(messages.id, sql.placeholder("after"))).orderBy(asc(messages.id)).limit(sql.placeholder("limit")),
  );
  const pageForAgent = rows<{ agent: string; after: number; limit: number }>(
    db
      .select(columns)
      .from(messages)
      .where(
        and(
          or(eq(messages.fromId, sql.placeholder("agent")), eq(messages.toId, sql.placeholder("agent"))),
          gt(messages.id, sql.placeholder("after")),
        ),
      )
      .orderBy(asc(messages.id))
      .limit(sql.placeholder("limit")),
  );
  const unread = rows<{ agent: string }>(
    db
      .select(columns)
      .from(messages)
      // IN rather than <> 'read': lets the planner use the (to_id, state) index once read ones pile up.
      .where(and(eq(messages.toId, sql.placeholder("agent")), inArray(messages.state, ["queued", "delivered"])))
      .orderBy(asc(messages.id)),
  );
  const queued = rows<{ agent: string }>(
    db
      .select(columns)
      .from(messages)
      .where(and(eq(messages.toId, sql.placeholder("agent")), eq(messages.state, "queued")))
      .orderBy(asc(messages.id)),
  );
  const deliver = rows<{ id: number; at: string }>(
    db
      .update(messages)
      .set({ state: "delivered", deliveredAt: sql`${sql.placeholder("at")}` })
      .where(and(eq(messages.id, sql.placeholder("id")), eq(messages.state, "queued")))
      .returning(columns),
  );
  const read = rows<{ id: number; at: string }>(
    db
      .update(messages)
      .set({ state: "read", readAt: sql`${sql.placeholder("at")}`, deliveredAt: sql`coalesce(${messages.deliveredAt}, ${sql.placeholder("at")})` })
      .where(and(eq(messages.id, sql.placeholder("id")), ne(messages.state, "read")))
      .returning(columns),
  );
  const agentExists = new CompiledQuery<{ id: string }, { id: string }>(
    sqlite,
    db.select({ id: agents.id }).from(agents).where(eq(agents.id, sql.placeholder("id"))),
    ["id"],
  );

  const missingAgent = (rows: readonly NewMessage[]): ClustrError => {
    for (const row of rows) {
      for (const id of [row.to, row.from]) {
        if (id !== null && agentExists.get({ id }) === undefined) {
          return new ClustrError("unknown_recipient", `no agent with id ${id}`, { data: { id } });
        }
      }
    }
    return new ClustrError("unknown_recipient", "a sender or recipient is not a known agent");
  };

  const mark = (statement: typeof deliver, values: readonly number[]): Message[] => {
    const wanted = ids(values);
    if (wanted.length === 0) return [];
    const at = nowIso();
    const apply = sqlite.transaction((): Message[] => {
      const changed: Message[] = [];
      for (const id of wanted) {
        const row = statement.get({ id, at });
        if (row !== undefined) changed.push(row);
      }
      return changed;
    });
    try {
      return apply.immediate();
    } catch (error) {
      throw toClustrError(error);
    }
  };

  return {
    send(inputs) {
      let valid: NewMessage[];
      try {
        ensure(Array.isArray(inputs) && inputs.length > 0, "a send needs at least one message", "messages");
        valid = inputs.map((input, i) => {
          const from = input.from === null ? null : parse(AgentIdSchema, input.from, `messages.${i}.from`);
          const to = parse(AgentIdSchema, input.to, `messages.${i}.to`);
          const body = parse(MessageBodyTextSchema, input.body, `messages.${i}.body`);
          return { from, to, body };
        });
      } catch (error) {
        return Promise.reject(toClustrError(error));
      }
      const createdAt = nowIso();
      return group.submit((): Message[] => {
        try {
          return valid.map((row) => insert.get({ from: row.from, to: row.to, body: row.body, createdAt }) as Message);
        } catch (error) {
          if (isForeignKeyViolation(error)) throw missingAgent(valid);
          throw error;
        }
      });
    },

    get: (id) => byId.get({ id }),

    list(options = {}) {
      const { after, limit } = pageBounds(options);
      if (options.agent === undefined) return page.all({ after, limit });
      return pageForAgent.all({ agent: options.agent, after, limit });
    },

    unreadFor: (agentId) => unread.all({ agent: agentId }),
    queuedFor: (agentId) => queued.all({ agent: agentId }),
    markDelivered: (values) => mark(deliver, values),
    markRead: (values) => mark(read, values),
  };
}
