import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import WebSocket from "ws";
import { ClustrError, ClustrEventSchema, ServerInfoSchema, type ClustrEvent, type ServerInfo } from "@clustr/protocol";

/** Options of {@link startClustrServer}. */
export interface ClustrServerOptions {
  /** The `clustr-ai` bin script to run with this Node (`apps/server/bin/clustr-ai.js`). */
  bin: string;
  /** The data folder (`--data-dir`). */
  dataDir: string;
  /** The server's whole environment: agents inherit it. */
  env: NodeJS.ProcessEnv;
  /** Where the server runs (its project folder). */
  cwd: string;
  /** More flags after `--port 0 --data-dir D --no-open`. */
  args?: string[];
  /** How long the server gets to write `server.json` (generous: the machine may be busy). */
  startTimeoutMs?: number;
}

/** A REST answer: the status and the parsed JSON body (undefined when empty). */
export interface ApiAnswer {
  status: number;
  body: unknown;
}

/** A running `clustr-ai` process, driven over its HTTP and WebSocket API as a user's client would. */
export interface ClustrServer {
  readonly pid: number;
  readonly info: ServerInfo;
  /** Everything it printed so far (stdout and stderr), for failure messages. */
  output(): string;
  /** Call a route with the token; `body` is sent as JSON. */
  api(method: string, path: string, body?: unknown): Promise<ApiAnswer>;
  /** Open `WS /api/events` (from `since` when given) and collect its events. */
  events(since?: number): Promise<EventStream>;
  /** SIGTERM, and SIGKILL when it has not exited after `graceMs`; resolves once it has exited. */
  stop(graceMs?: number): Promise<void>;
}

/** The events received on one `/api/events` socket, oldest first. */
export interface EventStream {
  readonly received: readonly ClustrEvent[];
  /** Resolves with the first event (already received or to come) `pick` maps to a value. */
  next<T>(pick: (event: ClustrEvent) => T | undefined, what: string, timeoutMs?: number): Promise<T>;
  close(): void;
}

const POLL_MS = 100;
const DEFAULT_START_TIMEOUT_MS = 60_000;
const DEFAULT_EVENT_TIMEOUT_MS = 180_000;

/**
 * Start the real `clustr-ai` bin (`--port 0 --data-dir D --no-open`) as a user would, and wait
 * until it has written `server.json`, whose URL and token the returned client uses.
 */
export async function startClustrServer(options: ClustrServerOptions): Promise<ClustrServer> {
  const child = spawn(process.execPath, [options.bin, "--port", "0", "--data-dir", options.dataDir, "--no-open", ...(options.args ?? [])], {
    cwd: options.cwd,
    env: options.env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  let info: ServerInfo;
  try {
    info = await waitForServerInfo(join(options.dataDir, "server.json"), child, options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS, () => output);
  } catch (error) {
    child.kill("SIGKILL");
    throw error;
  }
  const pid = child.pid ?? 0;
  const headers = { authorization: `Bearer ${info.token}` };

  return {
    pid,
    info,
    output: () => output,
    async api(method, path, body) {
      const response = await fetch(`${info.url}${path}`, {
        method,
        headers: body === undefined ? headers : { ...headers, "content-type": "application/json" },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      return { status: response.status, body: text === "" ? undefined : (JSON.parse(text) as unknown) };
    },
    events: (since) => openEvents(info, since),
    async stop(graceMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

async function waitForServerInfo(path: string, child: ChildProcess, timeoutMs: number, output: () => string): Promise<ServerInfo> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new ClustrError("process_exited", `clustr-ai exited (${child.exitCode ?? child.signalCode}) before writing server.json\n${output()}`);
    }
    const info = readInfo(path);
    if (info && info.pid === child.pid) return info;
    if (Date.now() > deadline) throw new ClustrError("start_timeout", `clustr-ai wrote no server.json within ${timeoutMs} ms\n${output()}`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

function readInfo(path: string): ServerInfo | undefined {
  try {
    const parsed = ServerInfoSchema.safeParse(JSON.parse(readFileSync(path, "utf8")));
    return parsed.success ? parsed.data : undefined;
  } catch {
    // Not written yet, or caught half-written.
    return undefined;
  }
}

function openEvents(info: ServerInfo, since: number | undefined): Promise<EventStream> {
  const url = `${info.url.replace(/^http/, "ws")}/api/events${since === undefined ? "" : `?since=${since}`}`;
  const socket = new WebSocket(url, { headers: { authorization: `Bearer ${info.token}` } });
  const received: ClustrEvent[] = [];
  const waiters = new Set<() => void>();
  socket.on("message", (data: WebSocket.RawData) => {
    // A frame that is not a valid event fails the waiting test through its parse error.
    received.push(ClustrEventSchema.parse(JSON.parse(rawText(data))));
    for (const wake of waiters) wake();
  });
  const stream: EventStream = {
    received,
    next<T>(pick: (event: ClustrEvent) => T | undefined, what: string, timeoutMs = DEFAULT_EVENT_TIMEOUT_MS): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        let checked = 0;
        const check = (): void => {
          for (; checked < received.length; checked++) {
            const value = pick(received[checked]!);
            if (value !== undefined) {
              done();
              resolve(value);
              return;
            }
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`no event for ${what} within ${timeoutMs} ms (${received.length} received)`));
        }, timeoutMs);
        const done = (): void => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    close: () => socket.close(),
  };
  return new Promise((resolve, reject) => {
    socket.once("open", () => resolve(stream));
    socket.once("error", reject);
    socket.once("unexpected-response", (_request, response) =>
      reject(new ClustrError("bad_request", `/api/events answered ${response.statusCode} instead of upgrading`)),
    );
  });
}

function rawText(data: WebSocket.RawData): string {
  if (Buffer.isBuffer(data)) return data.toString("utf8");
  if (Array.isArray(data)) return Buffer.concat(data).toString("utf8");
  return Buffer.from(data).toString("utf8");
}
