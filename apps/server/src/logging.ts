import type { FastifyServerOptions } from "fastify";
import { pathOf } from "./request-path.js";

/** Where and how much the server logs. */
export interface LogOptions {
  /** pino level: "fatal" | "error" | "warn" | "info" | "debug" | "trace". */
  level?: string;
  /** Where log lines go (one JSON object per line); stderr by default. */
  stream?: NodeJS.WritableStream;
}

interface RawRequestLike {
  method?: string;
  url?: string;
  ip?: string;
}

/**
 * Fastify logger settings whose request serializer keeps only the method and the path: query
 * strings (`?token=`), cookies and headers (Authorization) never reach the log.
 */
export function loggerOptions(options: LogOptions | boolean | undefined): FastifyServerOptions["logger"] {
  if (!options) return false;
  const settings = options === true ? {} : options;
  return {
    level: settings.level ?? "info",
    stream: settings.stream ?? process.stderr,
    serializers: {
      req: (request: RawRequestLike) => ({ method: request.method, url: pathOf(request.url ?? "") }),
      res: (reply: { statusCode?: number }) => ({ statusCode: reply.statusCode }),
    },
  };
}
