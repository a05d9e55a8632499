import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Agent, Message, ServerInfo } from "@clustr/protocol";
import { isAlive, makeTempDir, spawnNode, waitFor, waitForExit, type TempDir } from "@clustr/test-utils";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

// The real, built launcher (bin -> dist), killed with SIGKILL and started again on the same
// data folder.
const BIN = fileURLToPath(new URL("../bin/clustr-ai.js", import.meta.url));

let data: TempDir;
let project: TempDir;
const children: ReturnType<typeof spawnNode>[] = [];
const pidsToReap: number[] = [];

beforeEach(async () => {
  data = await makeTempDir("clustr-crash-data-");
  project = await makeTempDir("clustr-crash-project-");
});
afterEach(async () => {
  for (const c of children.splice(0)) {
    if (c.child.exitCode === null && c.child.signalCode === null) {
      c.child.kill("SIGTERM");
      await waitForExit(c.child);
    }
  }
  for (const pid of pidsToReap.splice(0)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone, as it should be
    }
  }
  await data.cleanup();
  await project.cleanup();
});

async function start(): Promise<{ child: ReturnType<typeof spawnNode>; info: ServerInfo }> {
  const serverJson = join(data.path, "server.json");
  const before = (() => {
    try {
      return readFileSync(serverJson, "utf8");
    } catch {
      return "";
    }
  })();
  const started = spawnNode(BIN, ["--port", "0", "--data-dir", data.path, "--no-open", project.path], { env: { ...process.env, BROWSER: "none" } });
  children.push(started);
  const info = await waitFor(
    () => {
      if (started.child.exitCode !== null) throw new Error(`server exited: ${started.stderr()}`);
      try {
        const text = readFileSync(serverJson, "utf8");
        return text !== before && text.endsWith("\n") ? (JSON.parse(text) as ServerInfo) : undefined;
      } catch {
        return undefined;
      }
    },
    { timeoutMs: 30_000, what: "server.json" },
  );
  return { child: started, info };
}

function client(info: ServerInfo) {
  const headers = { authorization: `Bearer ${info.token}`, "content-type": "application/json" };
  return async <T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> => {
    const res = await fetch(`${info.url}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
  };
}

async function kill9(started: ReturnType<typeof spawnNode>): Promise<void> {
  started.child.kill("SIGKILL");
  await waitForExit(started.child);
}

describe("kill -9 of the server, then a restart on the same data folder", () => {
  it("marks the agents killed (server_restart) and leaves none of their processes alive", async () => {
    const first = await start();
    const api = client(first.info);
    const ids: string[] = [];
    for (const name of ["one", "two"]) {
      // The background job ignores SIGHUP: it would outlive its terminal unless it is ended.
      const res = await api<{ agent: Agent }>("POST", "/api/agents", {
        name,
        kind: "command",
        command: "bash",
        args: ["--norc", "--noprofile"],
        cwd: project.path,
        task: "(trap '' HUP; exec sleep 300) & echo bg=$!",
      });
      expect(res.status).toBe(201);
      ids.push(res.body.agent.id);
    }
    const pids: number[] = [];
    for (const id of ids) {
      const screen = await waitFor(
        async () => {
          const text = (await api<{ screen: string }>("GET", `/api/agents/${id}/screen`)).body.screen;
          return /^bg=(\d+)$/m.exec(text);
        },
        { timeoutMs: 30_000, what: "background pid" },
      );
      const agent = (await api<{ agent: Agent }>("GET", `/api/agents/${id}`)).body.agent;
      pids.push(agent.pid!, Number(screen[1]));
    }
    pidsToReap.push(...pids);
    expect(pids.every(isAlive)).toBe(true);

    await kill9(first.child);
    const second = await start();
    const api2 = client(second.info);
    for (const id of ids) {
      const agent = (await api2<{ agent: Agent }>("GET", `/api/agents/${id}`)).body.agent;
      expect(agent.status).toBe("killed");
      expect(agent.error?.code).toBe("server_restart");
    }
    await waitFor(() => pids.every((pid) => !isAlive(pid)), { timeoutMs: 15_000, what: "every agent process gone" });
  });

  it("keeps every message it acknowledged with 201", async () => {
    const first = await start();
    const api = client(first.info);
    const spawned = await api<{ agent: Agent }>("POST", "/api/agents", { name: "inbox", kind: "command", command: "bash", args: ["--norc", "--noprofile"], cwd: project.path, task: "" });
    expect(spawned.status).toBe(201);

    const acked = new Map<number, string>();
    let stop = false;
    const sender = async (lane: number) => {
      for (let i = 0; !stop; i++) {
        const body = `lane${lane}-${i}`;
        try {
          const res = await api<{ message: Message }>("POST", "/api/messages", { to: "inbox", body });
          if (res.status === 201) acked.set(res.body.message.id, body);
        } catch {
          return; // the server is gone: this one was never acknowledged
        }
      }
    };
    const lanes = [0, 1, 2, 3].map(sender);
    await waitFor(() => acked.size >= 50, { timeoutMs: 30_000, what: "some acknowledged messages" });
    await kill9(first.child);
    stop = true;
    await Promise.all(lanes);

    const second = await start();
    const api2 = client(second.info);
    const stored = (await api2<{ messages: Message[] }>("GET", "/api/messages?limit=10000")).body.messages;
    const byId = new Map(stored.map((m) => [m.id, m.body]));
    for (const [id, body] of acked) expect(byId.get(id), `message #${id}`).toBe(body);
    expect(acked.size).toBeGreaterThanOrEqual(50);
  });

  it("SIGTERM ends every agent's processes, then removes server.json and exits 0", async () => {
    const first = await start();
    const api = client(first.info);
    const res = await api<{ agent: Agent }>("POST", "/api/agents", {
      name: "busy",
      kind: "command",
      command: "bash",
      args: ["--norc", "--noprofile"],
      cwd: project.path,
      task: "sleep 300 & echo bg=$!",
    });
    const id = res.body.agent.id;
    const bg = await waitFor(async () => /^bg=(\d+)$/m.exec((await api<{ screen: string }>("GET", `/api/agents/${id}/screen`)).body.screen), { timeoutMs: 30_000, what: "bg pid" });
    const pids = [(await api<{ agent: Agent }>("GET", `/api/agents/${id}`)).body.agent.pid!, Number(bg[1])];
    pidsToReap.push(...pids);
    first.child.child.kill("SIGTERM");
    expect(await waitForExit(first.child.child)).toEqual({ code: 0, signal: null });
    expect(pids.filter(isAlive)).toEqual([]);
    expect(existsSync(join(data.path, "server.json"))).toBe(false);
  });
});
