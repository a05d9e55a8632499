import { ClustrError, type ErrorCode } from "@clustr/protocol";

/** The parts of a zod schema the store uses, so it needs no zod import of its own. */
export interface Parser<T> {
  safeParse(value: unknown): { success: true; data: T } | { success: false; error: { issues: readonly { message: string; path: readonly PropertyKey[] }[] } };
}

/** Parse `value` or throw a `validation_failed` ClustrError naming the field. */
export function parse<T>(schema: Parser<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const where = issue && issue.path.length > 0 ? `${what}.${issue.path.map(String).join(".")}` : what;
  throw new ClustrError("validation_failed", `${where}: ${issue?.message ?? "invalid"}`, { data: { field: where } });
}

/** Throw `validation_failed` unless `ok`. */
export function ensure(ok: boolean, message: string, field: string): void {
  if (!ok) throw new ClustrError("validation_failed", message, { data: { field } });
}

/** The SQLite extended result code of an error (better-sqlite3's `SqliteError.code`), if any. */
export function sqliteCode(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 3; e = e.cause, depth++) {
    const code: unknown = (e as Error & { code?: unknown }).code;
    if (typeof code === "string" && code.startsWith("SQLITE_")) return code;
  }
  return undefined;
}

/** The message of the SQLite error inside `error` (drizzle may wrap it). */
export function sqliteMessage(error: unknown): string {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 3; e = e.cause, depth++) {
    const code: unknown = (e as Error & { code?: unknown }).code;
    if (typeof code === "string" && code.startsWith("SQLITE_")) return e.message;
  }
  return error instanceof Error ? error.message : String(error);
}

export const isUniqueViolation = (error: unknown): boolean =>
  sqliteCode(error) === "SQLITE_CONSTRAINT_UNIQUE" || sqliteCode(error) === "SQLITE_CONSTRAINT_PRIMARYKEY";
export const isForeignKeyViolation = (error: unknown): boolean => sqliteCode(error) === "SQLITE_CONSTRAINT_FOREIGNKEY";

/** ClustrErrors pass through; anything else becomes `internal` with the original as cause. */
export function toClustrError(error: unknown, fallback: ErrorCode = "internal"): ClustrError {
  if (error instanceof ClustrError) return error;
  return new ClustrError(fallback, `database error: ${sqliteMessage(error)}`, { cause: error });
}
