// The client side shared by the benchmarks: start the server host, call it over IPC, talk to
// it over HTTP and WebSocket on 127.0.0.1, and print tables.
import { fork } from "node:child_process";
import { realpathSync } from "node:fs";
import http from "node:http";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));

/** `ws`, the WebSocket library @fastify/websocket brings (the server has no client of its own). */
export async function loadWs() {
  const mod = await loadWsModule();
  return mod.default ?? mod.WebSocket;
}

/** The whole `ws` module that @fastify/websocket uses (its WebSocketServer too). */
export async function loadWsModule() {
  const fastifyWs = realpathSync(join(here, "..", "..", "node_modules", "@fastify", "websocket"));
  const path = createRequire(join(fastifyWs, "package.json")).resolve("ws");
  return import(path);
}

/**
 * The flood program of the terminal benchmarks (`node -e FLOOD_PROGRAM <MiB>`): prints READY,
 * waits for a line holding FLOOD, writes that many MiB of 80-byte lines as fast as the pty takes
 * them, and exits.
 */
export const FLOOD_PROGRAM = `
const total = Number(process.argv[1]) * 1024 * 1024;
const chunk = Buffer.from(("x".repeat(79) + "\\n").repeat(800));
let typed = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (data) => {
  typed += data;
  if (!typed.includes("FLOOD")) return;
  process.stdin.pause();
  // A tty stdout is written synchronously: every byte is out when the loop ends.
  for (let sent = 0; sent < total; sent += chunk.length) process.stdout.write(chunk);
  process.exit(0);
});
process.stdout.write("READY\\n");
`;

/**
 * Open `WS /api/events` as the user; `onEvent(event, at)` gets each parsed event with the time
 * (performance.now()) its frame arrived. Resolves with the open socket.
 */
export async function openEvents(host, onEvent) {
  const WebSocket = await loadWs();
  const events = new WebSocket(`ws://127.0.0.1:${host.port}/api/events`, { headers: { authorization: `Bearer ${host.token}` } });
  await new Promise((resolve, reject) => {
    events.once("open", resolve);
    events.once("error", reject);
  });
  events.on("message", (data) => {
    const at = performance.now();
    onEvent(JSON.parse(data.toString("utf8")), at);
  });
  return events;
}

/** Fork the server host; resolves once it listens. `call(cmd, extra)` runs a host command. */
export function startHost(env = {}) {
  // BENCH_CPU_PROF=<folder> writes a V8 CPU profile of the server process there.
  const execArgv = process.env.BENCH_CPU_PROF ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  const child = fork(join(here, "host.mjs"), [], { execArgv, env: { ...process.env, CLUSTR_LOG_LEVEL: "error", ...env }, stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const pending = new Map();
  let next = 1;
  let readyResolve;
  let readyReject;
  const ready = new Promise((resolve, reject) => {
    readyResolve = resolve;
    readyReject = reject;
  });
  child.on("message", (message) => {
    if (message.id === 0) return readyResolve(message.value);
    const waiter = pending.get(message.id);
    pending.delete(message.id);
    if (!waiter) return;
    if (message.ok) waiter.resolve(message.value);
    else waiter.reject(new Error(message.error));
  });
  child.on("exit", (code) => {
    const error = new Error(`server host exited (${code})`);
    readyReject(error);
    for (const waiter of pending.values()) waiter.reject(error);
    pending.clear();
  });
  const call = (cmd, extra = {}) =>
    new Promise((resolve, reject) => {
      const id = next++;
      pending.set(id, { resolve, reject });
      child.send({ id, cmd, ...extra });
    });
  return ready.then((info) => ({
    ...info,
    child,
    call,
    async close() {
      const unhandled = await call("close");
      const counts = new Map();
      for (const { phase, text } of unhandled) counts.set(`${phase}: ${text}`, (counts.get(`${phase}: ${text}`) ?? 0) + 1);
      for (const [text, count] of counts) console.log(`SERVER DEFECT: unhandled rejection x${count} during ${text}`);
      await new Promise((resolve) => (child.exitCode !== null ? resolve() : child.once("exit", resolve)));
    },
  }));
}

/** One keep-alive HTTP client for every request of a run. */
export function httpClient(port, maxSockets = 64) {
  const agent = new http.Agent({ keepAlive: true, maxSockets });
  return {
    agent,
    /** `{status, body, ms}`; `body` parsed as JSON when there is one. */
    request(method, path, token, payload) {
      return new Promise((resolve, reject) => {
        const data = payload === undefined ? undefined : Buffer.from(JSON.stringify(payload));
        const start = performance.now();
        const req = http.request(
          {
            host: "127.0.0.1",
            port,
            method,
            path,
            agent,
            headers: { authorization: `Bearer ${token}`, ...(data ? { "content-type": "application/json", "content-length": data.length } : {}) },
          },
          (res) => {
            const chunks = [];
            res.on("data", (chunk) => chunks.push(chunk));
            res.on("end", () => {
              const text = Buffer.concat(chunks).toString("utf8");
              resolve({ status: res.statusCode, body: text ? JSON.parse(text) : undefined, ms: performance.now() - start, at: performance.now() });
            });
          },
        );
        req.on("error", reject);
        req.end(data);
      });
    },
    close() {
      agent.destroy();
    },
  };
}

/** Expect a status; otherwise throw with the server's error body. */
export function expectStatus(res, status, what) {
  if (res.status !== status) throw new Error(`${what}: HTTP ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** Poll until `check()` is truthy. */
export async function waitUntil(check, what, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The q-quantile (0..1) of `values`, nearest rank. */
export function quantile(values, q) {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

export const median = (values) => quantile(values, 0.5);

/** Print rows (first row is the header) as a pipe table, numbers to `digits` places. */
export function printTable(title, rows, digits = 2) {
  const cells = rows.map((row) => row.map((cell) => (typeof cell === "number" ? (Number.isInteger(cell) ? String(cell) : Number.isFinite(cell) ? cell.toFixed(digits) : "-") : String(cell))));
  const widths = cells[0].map((_, i) => Math.max(...cells.map((row) => row[i].length)));
  console.log(`\n${title}`);
  cells.forEach((row, r) => {
    console.log(`| ${row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join(" | ")} |`);
    if (r === 0) console.log(`|${widths.map((w, i) => (i === 0 ? "-".repeat(w + 2) : `${"-".repeat(w + 1)}:`)).join("|")}|`);
  });
}

/** A one-line note on this machine, for the tables. */
export async function machineNote() {
  const os = await import("node:os");
  return `${new Date().toISOString().slice(0, 16)}Z, Node ${process.versions.node}, ${os.cpus().length} cores (${os.cpus()[0]?.model.trim() ?? "?"}), load ${os.loadavg()[0].toFixed(2)}`;
}
