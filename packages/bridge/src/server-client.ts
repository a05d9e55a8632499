import http from "node:http";
import https from "node:https";
import { ClustrError, ErrorBodySchema } from "@clustr/protocol";

/** Options of one call to the server. */
export interface PostOptions {
  /** Give up after this long; a blocking route passes its own, longer limit. */
  timeoutMs: number;
  /** Aborts the call, e.g. when the MCP client cancels the tool call. */
  signal?: AbortSignal | undefined;
}

// A response body larger than this is not something the bridge routes send: refuse it rather
// than buffer without bound.
const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

/**
 * POSTs JSON to the Clustr server as one agent (`Authorization: Bearer <agent token>`) and
 * turns every failure into a {@link ClustrError} whose message a model can act on.
 */
export class ServerClient {
  readonly #origin: URL;
  readonly #token: string;
  readonly #agent: http.Agent;
  readonly #inFlight = new Set<http.ClientRequest>();
  #closed = false;

  constructor(url: string, token: string) {
    this.#origin = new URL(url);
    this.#token = token;
    // No socket timeout on the agent: wait_for_message legitimately holds a request open for
    // up to 50 s, so each call sets its own overall limit instead.
    this.#agent = this.#origin.protocol === "https:" ? new https.Agent({ keepAlive: true }) : new http.Agent({ keepAlive: true });
  }

  /** The server's origin, for messages. */
  get url(): string {
    return this.#origin.origin;
  }

  /** POST `body` to `path`; resolves with the parsed JSON response of a 2xx answer. */
  post(path: string, body: unknown, options: PostOptions): Promise<unknown> {
    if (this.#closed) return Promise.reject(new ClustrError("internal", "the bridge is shutting down"));
    const payload = Buffer.from(JSON.stringify(body ?? {}), "utf8");
    const target = new URL(path, this.#origin);
    const request = this.#origin.protocol === "https:" ? https.request : http.request;
    return new Promise<unknown>((resolve, reject) => {
      let settled = false;
      const finish = (error: Error | null, value?: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        options.signal?.removeEventListener("abort", onAbort);
        this.#inFlight.delete(req);
        if (error) reject(error);
        else resolve(value);
      };
      const req = request(target, {
        method: "POST",
        agent: this.#agent,
        headers: {
          authorization: `Bearer ${this.#token}`,
          "content-type": "application/json",
          "content-length": payload.length,
          accept: "application/json",
        },
      });
      this.#inFlight.add(req);
      const timer = setTimeout(() => {
        finish(new ClustrError("internal", `the Clustr server at ${this.url} did not answer ${path} within ${Math.round(options.timeoutMs / 1000)} s`));
        req.destroy();
      }, options.timeoutMs);
      timer.unref();
      const onAbort = () => {
        finish(new ClustrError("internal", "the call was cancelled"));
        req.destroy();
      };
      if (options.signal?.aborted) {
        onAbort();
        return;
      }
      options.signal?.addEventListener("abort", onAbort, { once: true });
      req.on("error", (error: NodeJS.ErrnoException) => {
        if (this.#closed) {
          finish(new ClustrError("internal", "the bridge is shutting down"));
          return;
        }
        const reason = error.code ?? error.message;
        finish(
          new ClustrError("internal", `the Clustr server at ${this.url} is unreachable (${reason})`, {
            hint: "it may have stopped; the tools work again once it is back",
            cause: error,
          }),
        );
      });
      req.on("response", (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_RESPONSE_BYTES) {
            finish(new ClustrError("internal", `the Clustr server's answer to ${path} is larger than ${MAX_RESPONSE_BYTES} bytes`));
            req.destroy();
            return;
          }
          chunks.push(chunk);
        });
        res.on("error", (error) => finish(new ClustrError("internal", `the answer to ${path} was cut: ${error.message}`, { cause: error })));
        res.on("end", () => {
          try {
            finish(null, readAnswer(path, res.statusCode ?? 0, Buffer.concat(chunks).toString("utf8")));
          } catch (error) {
            finish(error as Error);
          }
        });
      });
      req.end(payload);
    });
  }

  /** Abort every call in flight and release the connections, so the process can exit. */
  close(): void {
    this.#closed = true;
    for (const req of this.#inFlight) req.destroy(new Error("bridge closed"));
    this.#inFlight.clear();
    this.#agent.destroy();
  }
}

/** The JSON of a 2xx answer, or the server's `{error}` as a {@link ClustrError}. */
function readAnswer(path: string, status: number, text: string): unknown {
  let parsed: unknown;
  try {
    parsed = text === "" ? undefined : JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (status >= 200 && status < 300) return parsed;
  const wireError = ErrorBodySchema.safeParse(parsed);
  if (wireError.success) {
    const { code, message, hint } = wireError.data.error;
    throw new ClustrError(code, message, hint === undefined ? undefined : { hint });
  }
  if (status === 401) {
    throw new ClustrError("unauthorized", "the Clustr server refused this agent's token", {
      hint: "the agent may have ended, or the server restarted since it started",
    });
  }
  throw new ClustrError("internal", `the Clustr server answered ${path} with HTTP ${status}`);
}
