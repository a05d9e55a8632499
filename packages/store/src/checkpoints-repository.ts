import { AgentIdSchema, CheckpointSchema, ClustrError, type Checkpoint } from "@clustr/protocol";
import { asc, desc, eq, sql } from "drizzle-orm";
import type { Database } from "better-sqlite3";
import type { StoreDatabase } from "./database.js";
import { ensure, isForeignKeyViolation, isUniqueViolation, parse, toClustrError } from "./errors.js";
import { newId } from "./ids.js";
import { checkpoints } from "./schema.js";
import { CompiledQuery, type BuiltQuery } from "./statements.js";
import { nowIso } from "./time.js";

/** A checkpoint taken in the shadow repository. */
export interface NewCheckpoint {
  /** Default: a fresh random id. */
  id?: string;
  cwd: string;
  /** Commit id in the shadow repository. */
  commit: string;
  agentId: string | null;
  reason: Checkpoint["reason"];
}

/** Checkpoints of project folders. */
export interface CheckpointsRepository {
  /** `conflict` if the id is taken, `not_found` if the agent does not exist. */
  insert(checkpoint: NewCheckpoint): Checkpoint;
  get(id: string): Checkpoint | undefined;
  /** The agent's checkpoints, oldest first. */
  listForAgent(agentId: string): Checkpoint[];
  /** The newest checkpoint of a folder. */
  latestFor(cwd: string): Checkpoint | undefined;
}

const columns = {
  id: checkpoints.id,
  cwd: checkpoints.cwd,
  commit: checkpoints.commit,
  agentId: checkpoints.agentId,
  reason: checkpoints.reason,
  createdAt: checkpoints.createdAt,
};

const KEYS = Object.keys(columns) as (keyof Checkpoint)[];

export function createCheckpointsRepository(db: StoreDatabase, sqlite: Database): CheckpointsRepository {
  const rows = <P extends Record<string, unknown>>(query: BuiltQuery) => new CompiledQuery<Checkpoint, P>(sqlite, query, KEYS);
  const insert = rows<{ id: string; cwd: string; commit: string; agentId: string | null; reason: string; createdAt: string }>(
    db
      .insert(checkpoints)
      .values({
        id: sql.placeholder("id"),
        cwd: sql.placeholder("cwd"),
        commit: sql.placeholder("commit"),
        agentId: sql.placeholder("agentId"),
        reason: sql.placeholder("reason"),
        createdAt: sql.placeholder("createdAt"),
      })
      .returning(columns),
  );
  const byId = rows<{ id: string }>(db.select(columns).from(checkpoints).where(eq(checkpoints.id, sql.placeholder("id"))));
  const forAgent = rows<{ agentId: string }>(
    db
      .select(columns)
      .from(checkpoints)
      .where(eq(checkpoints.agentId, sql.placeholder("agentId")))
      .orderBy(asc(checkpoints.createdAt), asc(sql`rowid`)),
  );
  const latest = rows<{ cwd: string }>(
    db
      .select(columns)
      .from(checkpoints)
      .where(eq(checkpoints.cwd, sql.placeholder("cwd")))
      .orderBy(desc(checkpoints.createdAt), desc(sql`rowid`))
      .limit(1),
  );

  return {
    insert(input) {
      const id = input.id ?? newId();
      ensure(typeof id === "string" && id.length > 0 && id.length <= 128, "id must be 1 to 128 characters", "id");
      ensure(typeof input.cwd === "string" && input.cwd.length > 0, "cwd must be a non-empty path", "cwd");
      ensure(typeof input.commit === "string" && input.commit.length > 0, "commit must be a commit id", "commit");
      const agentId = input.agentId === null ? null : parse(AgentIdSchema, input.agentId, "agentId");
      const reason = parse(CheckpointSchema.shape.reason, input.reason, "reason");
      try {
        return insert.get({ id, cwd: input.cwd, commit: input.commit, agentId, reason, createdAt: nowIso() }) as Checkpoint;
      } catch (error) {
        if (isUniqueViolation(error)) throw new ClustrError("conflict", `checkpoint ${id} already exists`, { data: { id } });
        if (isForeignKeyViolation(error)) throw new ClustrError("not_found", `agent ${agentId ?? ""} not found`, { data: { agentId } });
        throw toClustrError(error);
      }
    },
    get: (id) => byId.get({ id }),
    listForAgent: (agentId) => forAgent.all({ agentId }),
    latestFor: (cwd) => latest.get({ cwd }),
  };
}
