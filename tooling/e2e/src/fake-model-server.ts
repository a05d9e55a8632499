import { randomBytes } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { ClustrError, ERROR_STATUS } from "@clustr/protocol";
import { anthropicEvents, anthropicMessage, anthropicView, asRecord } from "./anthropic-api.js";
import { decideAction, type ModelAction, type ScriptedReply, type TurnView } from "./model-script.js";
import { openAiEvents, openAiView } from "./openai-api.js";

/** Which wire API a fake model server speaks. */
export type ModelApi = "anthropic" | "openai";

/**
 * What a request was: a conversation `turn` (tools offered), a `title` request (no tools: the
 * CLI naming its session), `count_tokens`, or any other `probe` (HEAD /, model lists…).
 */
export type RequestKind = "turn" | "title" | "count_tokens" | "probe";

/** One request as the fake model received it. */
export interface RecordedRequest {
  method: string;
  /** The path without the query string. */
  path: string;
  query: string;
  headers: IncomingHttpHeaders;
  /** The parsed JSON body; undefined when there was none or it was not JSON. */
  body: unknown;
  kind: RequestKind;
  /** For `turn` and `title` requests: what the script saw. */
  view?: TurnView;
  /** For `turn` and `title` requests: what the model answered. */
  action?: ModelAction;
  /** The HTTP status the server answered with. */
  status: number;
}

/** Options of {@link startFakeModel}. */
export interface FakeModelOptions {
  api: ModelApi;
  /** The key the CLI must present (`x-api-key` or `Authorization: Bearer`); random when left out. */
  apiKey?: string;
  /** The answer to title requests. */
  titleText?: string;
  /** Largest request body accepted (413 beyond); 32 MiB when left out. */
  maxBodyBytes?: number;
}

/** A running fake model API on 127.0.0.1. */
export interface FakeModelServer {
  readonly api: ModelApi;
  /** The bare origin, `http://127.0.0.1:PORT`. */
  readonly url: string;
  readonly port: number;
  /** What to configure as the CLI's base URL: the origin for Anthropic, origin + `/v1` for OpenAI. */
  readonly baseUrl: string;
  readonly apiKey: string;
  /** Every request received, oldest first. */
  readonly requests: readonly RecordedRequest[];
  /** The conversation requests only (`kind === "turn"`), oldest first. */
  turns(): RecordedRequest[];
  /** Answer the next conversation request with this reply instead of the script. Replies queue. */
  pushReply(reply: ScriptedReply): void;
  close(): Promise<void>;
}

/** Largest request body accepted by default: CLI system prompts and histories are big, but not this big. */
const MAX_BODY_BYTES = 32 * 1024 * 1024;

/**
 * Start a fake model API on 127.0.0.1 (a free port). It answers like the real API, streamed
 * (SSE) or not, driven by the script of {@link decideAction}, and records every request.
 */
export async function startFakeModel(options: FakeModelOptions): Promise<FakeModelServer> {
  if (options.api !== "anthropic" && options.api !== "openai") {
    throw new ClustrError("bad_request", `unknown model API ${JSON.stringify(options.api)}`, { hint: 'use "anthropic" or "openai"' });
  }
  const apiKey = options.apiKey ?? `sk-fake-${randomBytes(16).toString("hex")}`;
  const titleText = options.titleText ?? "Fake session title";
  const requests: RecordedRequest[] = [];
  const pushed: ScriptedReply[] = [];
  let counter = 0;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const [path = "/", query = ""] = (req.url ?? "/").split("?", 2);
    const raw = await readBody(req, options.maxBodyBytes ?? MAX_BODY_BYTES);
    let body: unknown;
    try {
      body = raw.length > 0 ? JSON.parse(raw) : undefined;
    } catch {
      body = undefined;
    }
    const record: RecordedRequest = { method: req.method ?? "GET", path, query, headers: req.headers, body, kind: "probe", status: 200 };
    requests.push(record);
    const send = (status: number, payload: unknown): void => {
      record.status = status;
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(payload));
    };

    const route = conversationRoute(options.api, record.method, path);
    if (route === undefined) {
      if (record.method === "HEAD") {
        res.writeHead(200).end();
      } else if (record.method === "GET" && path.endsWith("/models")) {
        send(200, { object: "list", data: [{ id: "fake-model", object: "model", type: "model", display_name: "Fake model" }] });
      } else if (record.method === "GET") {
        send(200, {});
      } else {
        send(404, apiError(options.api, "not_found", `no such route: ${record.method} ${path}`));
      }
      return;
    }
    if (!hasKey(req.headers, apiKey)) {
      send(401, apiError(options.api, "authentication_error", "invalid or missing API key"));
      return;
    }
    if (route === "count_tokens") {
      record.kind = "count_tokens";
      send(200, { input_tokens: 1 });
      return;
    }
    if (typeof body !== "object" || body === null || Array.isArray(body)) {
      send(400, apiError(options.api, "invalid_request_error", "the body must be a JSON object"));
      return;
    }
    const json = asRecord(body);
    const view = options.api === "anthropic" ? anthropicView(json) : openAiView(json);
    record.view = view;
    record.kind = view.tools.length === 0 ? "title" : "turn";
    const action: ModelAction =
      record.kind === "title" ? { kind: "text", text: titleText } : decideAction(view, pushed.shift(), raw);
    record.action = action;
    const id = `${++counter}`;
    const model = typeof json["model"] === "string" ? json["model"] : "fake-model";

    if (options.api === "anthropic" && json["stream"] !== true) {
      send(200, anthropicMessage(action, model, `msg_fake_${id}`));
      return;
    }
    const events = options.api === "anthropic" ? anthropicEvents(action, model, `msg_fake_${id}`) : openAiEvents(action, id);
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
    for (const [event, data] of events) res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    res.end();
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(error instanceof ClustrError ? ERROR_STATUS[error.code] : 500, { "content-type": "application/json" });
      res.end(JSON.stringify(apiError(options.api, "api_error", (error as Error).message)));
    });
  });
  // CLIs keep connections alive between turns; close() must not wait for them.
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;

  return {
    api: options.api,
    url,
    port,
    baseUrl: options.api === "anthropic" ? url : `${url}/v1`,
    apiKey,
    requests,
    turns: () => requests.filter((r) => r.kind === "turn"),
    pushReply: (reply) => {
      pushed.push(checkReply(reply));
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/** Start a fake Anthropic Messages API (`POST /v1/messages`). */
export function startFakeAnthropic(options: Omit<FakeModelOptions, "api"> = {}): Promise<FakeModelServer> {
  return startFakeModel({ ...options, api: "anthropic" });
}

/** Start a fake OpenAI Responses API (`POST /v1/responses`). */
export function startFakeOpenAi(options: Omit<FakeModelOptions, "api"> = {}): Promise<FakeModelServer> {
  return startFakeModel({ ...options, api: "openai" });
}

/** A pushed reply must be `{text}` or `{tool, input}`: a typo would otherwise surface as a confusing turn much later. */
function checkReply(reply: ScriptedReply): ScriptedReply {
  const r = reply as Partial<Record<string, unknown>>;
  const isText = typeof r["text"] === "string";
  const isCall = typeof r["tool"] === "string" && typeof r["input"] === "object" && r["input"] !== null && !Array.isArray(r["input"]);
  if (isText === isCall) {
    throw new ClustrError("validation_failed", `a scripted reply is {text} or {tool, input}, got ${JSON.stringify(reply)}`);
  }
  return reply;
}

function conversationRoute(api: ModelApi, method: string, path: string): "conversation" | "count_tokens" | undefined {
  if (method !== "POST") return undefined;
  if (api === "anthropic") {
    if (path === "/v1/messages") return "conversation";
    if (path === "/v1/messages/count_tokens") return "count_tokens";
    return undefined;
  }
  return path === "/v1/responses" ? "conversation" : undefined;
}

function hasKey(headers: IncomingHttpHeaders, apiKey: string): boolean {
  return headers["x-api-key"] === apiKey || headers.authorization === `Bearer ${apiKey}`;
}

function apiError(api: ModelApi, type: string, message: string): Record<string, unknown> {
  return api === "anthropic" ? { type: "error", error: { type, message } } : { error: { type, message, code: type } };
}

async function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > limit) throw new ClustrError("payload_too_large", `request body over ${limit} bytes`);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}
