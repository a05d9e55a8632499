import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { createWorkspace, type Workspace } from "@clustr/core";
import type { Agent, ClustrEvent } from "@clustr/protocol";
import { makeTempDir, waitFor, type TempDir } from "@clustr/test-utils";
import { buildServer } from "../src/index.js";
import { HOST, PORT, TOKEN } from "./helpers.js";

/** Headers of an authenticated user request. */
export const USER = { host: HOST, authorization: `Bearer ${TOKEN}` } as const;

/** A server over a real workspace in a temp data folder, with a temp project folder. */
export interface Harness {
  app: FastifyInstance;
  workspace: Workspace;
  data: TempDir;
  project: TempDir;
  close(): Promise<void>;
}

export async function startHarness(options: { maxAgents?: number; env?: NodeJS.ProcessEnv } = {}): Promise<Harness> {
  const data = await makeTempDir("clustr-server-data-");
  const project = await makeTempDir("clustr-server-project-");
  const workspace = await createWorkspace({ dataDir: data.path, startTimeoutMs: 30_000, cols: 100, rows: 30, ...options });
  const app = await buildServer({ token: TOKEN, port: PORT, dashboardDir: null, workspace });
  // injectWS, unlike inject, does not wait for the app to be ready.
  await app.ready();
  return {
    app,
    workspace,
    data,
    project,
    async close() {
      await app.close();
      await workspace.close();
      await data.cleanup();
      await project.cleanup();
    },
  };
}

/** Spawn a bash agent through the API; returns the 201 answer's agent. */
export async function spawnBash(h: Harness, name: string, task = "echo started"): Promise<Agent> {
  const res = await h.app.inject({
    method: "POST",
    url: "/api/agents",
    headers: USER,
    payload: { name, kind: "command", command: "bash", args: ["--norc", "--noprofile"], cwd: h.project.path, task },
  });
  if (res.statusCode !== 201) throw new Error(`spawn ${name}: ${res.statusCode} ${res.body}`);
  return (res.json() as { agent: Agent }).agent;
}

export function waitRunning(h: Harness, id: string): Promise<unknown> {
  return waitFor(() => h.workspace.get(id)?.status === "running", { timeoutMs: 30_000, what: `agent ${id} running` });
}

/** The agent's bridge token, as its own processes read it. */
export function agentToken(h: Harness, id: string): string {
  return readFileSync(join(h.data.path, "agents", id, "token"), "utf8").trim();
}

/** Headers of a bridge call with an agent's token. */
export function bridgeHeaders(token: string): Record<string, string> {
  return { host: HOST, authorization: `Bearer ${token}` };
}

/** The part of a `ws` client socket the tests use. */
export interface ClientSocket {
  send(data: string): void;
  close(): void;
  terminate(): void;
  on(event: "message", listener: (data: Buffer, isBinary: boolean) => void): void;
  on(event: "close", listener: (code: number, reason: Buffer) => void): void;
}

/** Collects what a WebSocket receives, from before it opens (attach it in `onInit`). */
export class Received {
  readonly frames: { text: string; binary: boolean }[] = [];
  closed: { code: number; reason: string } | undefined;

  attach(socket: ClientSocket): void {
    socket.on("message", (data, binary) => this.frames.push({ text: data.toString("utf8"), binary }));
    socket.on("close", (code, reason) => (this.closed = { code, reason: reason.toString("utf8") }));
  }

  /** Everything received as one string (terminal output). */
  text(): string {
    return this.frames.map((f) => f.text).join("");
  }

  events(): ClustrEvent[] {
    return this.frames.map((f) => JSON.parse(f.text) as ClustrEvent);
  }
}

/** Open a WebSocket through `injectWS` and collect its frames from the first. */
export async function openSocket(app: FastifyInstance, url: string, headers: Record<string, string> = USER): Promise<{ socket: ClientSocket; received: Received }> {
  const received = new Received();
  await app.ready();
  const socket = (await app.injectWS(url, { headers }, { onInit: (ws) => received.attach(ws as ClientSocket) })) as ClientSocket;
  return { socket, received };
}
