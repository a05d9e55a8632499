import { z } from "zod";

/**
 * Every error code that crosses the wire. The server maps each to one HTTP status
 * ({@link ERROR_STATUS}); bridge tools return them as tool errors.
 */
export const ERROR_CODES = [
  "bad_request",
  "validation_failed",
  "unauthorized",
  "forbidden",
  "not_found",
  "conflict",
  "version_conflict",
  "name_taken",
  "payload_too_large",
  "unsupported_media_type",
  "limit_reached",
  "cli_not_found",
  "not_executable",
  "cwd_not_found",
  "cwd_outside_parent",
  "agent_not_running",
  "agent_not_ended",
  "unknown_recipient",
  "repo_busy",
  "start_timeout",
  "spawn_failed",
  "process_exited",
  "data_dir_locked",
  "internal",
] as const;

export const ErrorCodeSchema = z.enum(ERROR_CODES);
export type ErrorCode = z.infer<typeof ErrorCodeSchema>;

/** HTTP status for each error code: the one place where codes become statuses. */
export const ERROR_STATUS: Record<ErrorCode, number> = {
  bad_request: 400,
  validation_failed: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  version_conflict: 409,
  name_taken: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  limit_reached: 429,
  cli_not_found: 422,
  not_executable: 422,
  cwd_not_found: 422,
  cwd_outside_parent: 422,
  agent_not_running: 409,
  agent_not_ended: 409,
  unknown_recipient: 404,
  repo_busy: 409,
  start_timeout: 500,
  spawn_failed: 500,
  process_exited: 500,
  data_dir_locked: 409,
  internal: 500,
};

/** The wire form of every error: `{error: {code, message}}`. */
export const ErrorBodySchema = z.object({
  error: z.object({
    code: ErrorCodeSchema,
    message: z.string(),
    hint: z.string().optional(),
  }),
});
export type ErrorBody = z.infer<typeof ErrorBodySchema>;

/**
 * A domain error: a string `code` from {@link ERROR_CODES}, a readable message and optional
 * data. Packages throw it; the server and the bridge turn it into their wire form.
 */
export class ClustrError extends Error {
  readonly code: ErrorCode;
  readonly data: Record<string, unknown> | undefined;
  readonly hint: string | undefined;

  constructor(code: ErrorCode, message: string, options?: { hint?: string; data?: Record<string, unknown>; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = "ClustrError";
    this.code = code;
    this.hint = options?.hint;
    this.data = options?.data;
  }

  toBody(): ErrorBody {
    return { error: { code: this.code, message: this.message, ...(this.hint ? { hint: this.hint } : {}) } };
  }
}

/** True for a {@link ClustrError}, also across package copies (checks the shape, not the class). */
export function isClustrError(value: unknown): value is ClustrError {
  if (value instanceof ClustrError) return true;
  if (!(value instanceof Error) || value.name !== "ClustrError") return false;
  const code: unknown = (value as Error & { code?: unknown }).code;
  return typeof code === "string" && (ERROR_CODES as readonly string[]).includes(code);
}
