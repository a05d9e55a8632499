import {
  AgentListResponseSchema,
  AgentResponseSchema,
  ClustrError,
  ContextEntryResponseSchema,
  ContextListResponseSchema,
  DiffResponseSchema,
  ErrorBodySchema,
  FileEventListResponseSchema,
  ImageUploadResponseSchema,
  LIMITS,
  MessageListResponseSchema,
  MessageResponseSchema,
  RollbackResponseSchema,
  RulesBodySchema,
} from "@clustr/protocol";
import type {
  Agent,
  ContextEntry,
  DiffResponse,
  FileEvent,
  ImageMimeType,
  ImageUploadResponse,
  Message,
  RollbackBody,
  RollbackResponse,
  SendMessageBody,
  SpawnAgentBody,
} from "@clustr/protocol";
import type { Snapshot } from "./state.js";

/** The part of `fetch` the client uses; the page passes the browser's own. */
export type Fetch = (input: string, init?: RequestInit) => Promise<Response>;

interface Parser<T> {
  parse(value: unknown): T;
}

/**
 * The error of an answer that was not 2xx: the server's `{error: {code, message, hint?}}` as a
 * {@link ClustrError} (with `data.status`), or `internal` when the answer is not in that form.
 */
export async function errorFromResponse(response: Response): Promise<ClustrError> {
  const text = await response.text().catch(() => "");
  let body: unknown = null;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: reported below with the status
  }
  const parsed = ErrorBodySchema.safeParse(body);
  if (parsed.success) {
    const { code, message, hint } = parsed.data.error;
    return new ClustrError(code, message, { ...(hint ? { hint } : {}), data: { status: response.status } });
  }
  const detail = text.trim().slice(0, 200);
  return new ClustrError("internal", `the server answered ${response.status}${detail ? `: ${detail}` : ""}`, {
    data: { status: response.status },
  });
}

/**
 * A small typed client over the dashboard's REST routes. Same-origin: the session cookie
 * travels with every call, so the token never passes through this code.
 */
export class ApiClient {
  constructor(private readonly fetchFn: Fetch = (input, init) => fetch(input, init)) {}

  private async call<T>(path: string, init: RequestInit, parser: Parser<T>): Promise<T> {
    let response: Response;
    try {
      response = await this.fetchFn(path, { credentials: "same-origin", ...init });
    } catch (error) {
      throw new ClustrError("internal", "the server does not answer: is clustr-ai still running?", { cause: error });
    }
    if (!response.ok) throw await errorFromResponse(response);
    if (response.status === 204) return parser.parse(undefined);
    const text = await response.text();
    return parser.parse(text === "" ? undefined : JSON.parse(text));
  }

  private json<T>(method: string, path: string, body: unknown, parser: Parser<T>): Promise<T> {
    return this.call(path, { method, headers: { "content-type": "application/json" }, body: JSON.stringify(body) }, parser);
  }

  listAgents(): Promise<Agent[]> {
    return this.call("/api/agents", {}, AgentListResponseSchema).then((r) => r.agents);
  }

  spawnAgent(body: SpawnAgentBody): Promise<Agent> {
    return this.json("POST", "/api/agents", body, AgentResponseSchema).then((r) => r.agent);
  }

  killAgent(id: string): Promise<void> {
    return this.call(`/api/agents/${encodeURIComponent(id)}/kill`, { method: "POST" }, ignore);
  }

  removeAgent(id: string): Promise<void> {
    return this.call(`/api/agents/${encodeURIComponent(id)}`, { method: "DELETE" }, ignore);
  }

  diff(id: string): Promise<DiffResponse> {
    return this.call(`/api/agents/${encodeURIComponent(id)}/diff`, {}, DiffResponseSchema);
  }

  rollback(id: string, body: RollbackBody): Promise<RollbackResponse> {
    return this.json("POST", `/api/agents/${encodeURIComponent(id)}/rollback`, body, RollbackResponseSchema);
  }

  /** Every message, oldest first, fetched page by page. */
  async listMessages(): Promise<Message[]> {
    return this.pages((after) => this.call(`/api/messages?limit=${LIMITS.listMaxLimit}&after=${after}`, {}, MessageListResponseSchema).then((r) => r.messages));
  }

  /** Sends as the user; `to: "*"` reaches every agent that has not ended. */
  async sendMessage(body: SendMessageBody): Promise<Message[]> {
    const answer = await this.json("POST", "/api/messages", body, { parse: (value: unknown) => value });
    const many = MessageListResponseSchema.safeParse(answer);
    if (many.success) return many.data.messages;
    return [MessageResponseSchema.parse(answer).message];
  }

  listContext(): Promise<ContextEntry[]> {
    return this.call("/api/context", {}, ContextListResponseSchema).then((r) => r.entries);
  }

  putContext(key: string, value: string, version?: number): Promise<ContextEntry> {
    const body = version === undefined ? { value } : { value, version };
    return this.json("PUT", `/api/context/${encodeURIComponent(key)}`, body, ContextEntryResponseSchema).then((r) => r.entry);
  }

  deleteContext(key: string): Promise<void> {
    return this.call(`/api/context/${encodeURIComponent(key)}`, { method: "DELETE" }, ignore);
  }

  /** The newest file events, oldest first. */
  async listFiles(): Promise<FileEvent[]> {
    return this.pages((after) => this.call(`/api/files?limit=${LIMITS.listMaxLimit}&after=${after}`, {}, FileEventListResponseSchema).then((r) => r.events));
  }

  getRules(): Promise<string> {
    return this.call("/api/rules", {}, RulesBodySchema).then((r) => r.content);
  }

  putRules(content: string): Promise<string> {
    return this.json("PUT", "/api/rules", { content }, RulesBodySchema).then((r) => r.content);
  }

  uploadImage(body: Blob, type: ImageMimeType): Promise<ImageUploadResponse> {
    return this.call("/api/images", { method: "POST", headers: { "content-type": type }, body }, ImageUploadResponseSchema);
  }

  /** Everything the views need, for a fresh start or after a `reset` event. */
  async snapshot(): Promise<Snapshot> {
    const [agents, messages, context, files, rules] = await Promise.all([
      this.listAgents(),
      this.listMessages(),
      this.listContext(),
      this.listFiles(),
      this.getRules(),
    ]);
    return { agents, messages, context, files, rules };
  }

  private async pages<T extends { id: number }>(page: (after: number) => Promise<T[]>): Promise<T[]> {
    const all: T[] = [];
    let after = 0;
    for (;;) {
      const items = await page(after);
      all.push(...items);
      const last = items[items.length - 1];
      if (items.length < LIMITS.listMaxLimit || last === undefined) return all;
      after = last.id;
    }
  }
}

const ignore: Parser<void> = { parse: () => undefined };

/** A readable one-line text for any error a call may throw. */
export function describeError(error: unknown): string {
  if (error instanceof ClustrError) return error.hint ? `${error.message} (${error.hint})` : error.message;
  if (error instanceof Error) return error.message;
  return String(error);
}
