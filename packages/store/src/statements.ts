import type { Database, RunResult, Statement } from "better-sqlite3";
import { Param, Placeholder, is } from "drizzle-orm";

/** A query built with drizzle's query builder (select, insert, update, delete). */
export interface BuiltQuery {
  toSQL(): { sql: string; params: unknown[] };
}

type Slot = { kind: "value"; value: unknown } | { kind: "named"; name: string; encode: ((value: unknown) => unknown) | undefined };

/**
 * A query written with drizzle, run through one better-sqlite3 statement in array mode and
 * mapped to our row shape by a generated function.
 *
 * Queries stay in drizzle's builder (so a PostgreSQL dialect can take them over); only the
 * execution is ours. drizzle's own prepared queries match every placeholder with `is()` and map
 * each result column through its column object on every call, which costs 15-30% over a raw
 * statement on the hot paths (benchmarked in bench/); binding slots worked out once and an
 * object literal per row cost nothing measurable.
 */
export class CompiledQuery<Row, Params extends Record<string, unknown> = Record<string, never>> {
  private readonly statement: Statement;
  private readonly slots: Slot[];
  private readonly fixed: boolean;
  private readonly toRow: ((row: unknown[]) => Row) | undefined;

  constructor(sqlite: Database, query: BuiltQuery, keys?: readonly (keyof Row & string)[]) {
    const { sql, params } = query.toSQL();
    this.statement = sqlite.prepare(sql);
    this.slots = params.map((param): Slot => {
      if (is(param, Placeholder)) return { kind: "named", name: param.name, encode: undefined };
      if (is(param, Param) && is(param.value, Placeholder)) {
        const encoder = param.encoder;
        return { kind: "named", name: param.value.name, encode: (value) => encoder.mapToDriverValue(value) };
      }
      return { kind: "value", value: param };
    });
    this.fixed = this.slots.every((slot) => slot.kind === "value");
    if (keys !== undefined) {
      if (!this.statement.reader) throw new Error(`query returns no rows: ${sql}`);
      if (this.statement.columns().length !== keys.length) {
        throw new Error(`query returns ${this.statement.columns().length} columns, ${keys.length} keys given: ${sql}`);
      }
      this.statement.raw(true);
      this.toRow = rowMapper<Row>(keys);
    }
  }

  private bind(values: Params | undefined): unknown[] {
    if (this.fixed) return this.slots.map((slot) => (slot as { value: unknown }).value);
    const args = new Array<unknown>(this.slots.length);
    for (let i = 0; i < this.slots.length; i++) {
      const slot = this.slots[i] as Slot;
      if (slot.kind === "value") {
        args[i] = slot.value;
        continue;
      }
      const value = values?.[slot.name];
      if (value === undefined) throw new Error(`no value for placeholder "${slot.name}"`);
      args[i] = slot.encode === undefined ? value : slot.encode(value);
    }
    return args;
  }

  /** The first row, or undefined. */
  get(values?: Params): Row | undefined {
    const row = this.statement.get(...this.bind(values)) as unknown[] | undefined;
    return row === undefined ? undefined : (this.toRow as (row: unknown[]) => Row)(row);
  }

  all(values?: Params): Row[] {
    const rows = this.statement.all(...this.bind(values)) as unknown[][];
    return rows.map(this.toRow as (row: unknown[]) => Row);
  }

  run(values?: Params): RunResult {
    return this.statement.run(...this.bind(values));
  }
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/**
 * `(row) => ({ key0: row[0], key1: row[1], ... })`, generated so V8 sees one object literal
 * with a fixed shape. The keys are this package's own field names, never input.
 */
function rowMapper<Row>(keys: readonly string[]): (row: unknown[]) => Row {
  for (const key of keys) if (!IDENTIFIER.test(key)) throw new Error(`not a field name: ${key}`);
  const body = `return { ${keys.map((key, i) => `${key}: row[${i}]`).join(", ")} };`;
  return new Function("row", body) as (row: unknown[]) => Row;
}
