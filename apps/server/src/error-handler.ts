import type { FastifyError, FastifyInstance } from "fastify";
import { ERROR_STATUS, isClustrError, type ErrorBody, type ErrorCode } from "@clustr/protocol";

/** The status and wire body for one error. */
export interface ErrorReply {
  status: number;
  body: ErrorBody;
}

interface ZodLikeIssue {
  path: PropertyKey[];
  message: string;
}

// Checked by shape rather than `instanceof`: the schemas live in @clustr/protocol, whose copy of
// zod need not be the one this package would import.
function isZodError(error: unknown): error is Error & { issues: ZodLikeIssue[] } {
  return error instanceof Error && error.name === "ZodError" && Array.isArray((error as { issues?: unknown }).issues);
}

function describeIssues(issues: ZodLikeIssue[]): string {
  const parts = issues.slice(0, 10).map((issue) => {
    const where = issue.path.map(String).join(".");
    return where ? `${where}: ${issue.message}` : issue.message;
  });
  if (issues.length > 10) parts.push(`and ${issues.length - 10} more`);
  return parts.join("; ") || "invalid input";
}

// Fastify's own errors that a client can cause, by their code.
const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: "payload_too_large",
  FST_ERR_CTP_INVALID_MEDIA_TYPE: "unsupported_media_type",
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: "bad_request",
  FST_ERR_CTP_EMPTY_JSON_BODY: "bad_request",
  FST_ERR_CTP_INVALID_JSON_BODY: "bad_request",
  FST_ERR_VALIDATION: "validation_failed",
};

const STATUS_CODES: Record<number, ErrorCode> = {
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  409: "conflict",
  413: "payload_too_large",
  415: "unsupported_media_type",
  429: "limit_reached",
};

/** Map any thrown value to `{status, body}`: the one place where errors become HTTP answers. */
export function toErrorReply(error: unknown): ErrorReply {
  if (isClustrError(error)) return { status: ERROR_STATUS[error.code], body: error.toBody() };
  if (isZodError(error)) {
    return { status: ERROR_STATUS.validation_failed, body: { error: { code: "validation_failed", message: describeIssues(error.issues) } } };
  }
  const fastifyError = error as Partial<FastifyError> | null;
  const fastifyCode = typeof fastifyError?.code === "string" ? FASTIFY_CODES[fastifyError.code] : undefined;
  if (fastifyCode) {
    return { status: ERROR_STATUS[fastifyCode], body: { error: { code: fastifyCode, message: fastifyError?.message ?? fastifyCode } } };
  }
  const status = typeof fastifyError?.statusCode === "number" ? fastifyError.statusCode : 500;
  if (status >= 400 && status < 500) {
    const code = STATUS_CODES[status] ?? "bad_request";
    return { status, body: { error: { code, message: fastifyError?.message || code } } };
  }
  // Internal details stay in the log; the client learns only that it was not its fault.
  return { status: 500, body: { error: { code: "internal", message: "internal server error" } } };
}

/** Install the single error handler and the JSON not-found answer for API paths. */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error, request, reply) => {
    const { status, body } = toErrorReply(error);
    if (status >= 500) request.log.error({ err: error }, "request failed");
    void reply.code(status).type("application/json; charset=utf-8").send(body);
  });
}
