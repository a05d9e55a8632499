// The server side of the benchmarks, run as a child process (`fork`) so that the client's work
// never shares its event loop: a real workspace in a temp data folder, `buildServer` listening
// on 127.0.0.1:0, plus what the comparisons need in the same process — a trivial POST route
// doing one fdatasync, node-pty spawned directly, an event-loop delay monitor and RSS samples.
// Commands and answers travel over the IPC channel as `{id, cmd, ...}` / `{id, ok, value}`.
import { closeSync, mkdtempSync, openSync, realpathSync, rmSync, writeSync, fdatasyncSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { createWorkspace } from "@clustr/core";
import { buildServer, generateToken } from "../../dist/index.js";
import { loadWsModule } from "./client.mjs";

// node-pty is the spawner's dependency, not the server's: find it the way the workspace does,
// through @clustr/core -> @clustr/spawner, so the raw variant runs the very same build.
function loadNodePty() {
  const core = realpathSync(join(import.meta.dirname, "..", "..", "node_modules", "@clustr", "core"));
  const spawner = realpathSync(join(core, "node_modules", "@clustr", "spawner"));
  return createRequire(join(spawner, "package.json"))("node-pty");
}

const maxAgents = Number(process.env.BENCH_MAX_AGENTS ?? 20);
// A built dashboard to serve (the dashboard's own benchmarks); none by default.
const dashboardDir = process.env.BENCH_DASHBOARD_DIR || null;
const COLS = 100;
const ROWS = 30;

const dataDir = mkdtempSync(join(tmpdir(), "clustr-bench-data-"));
const project = mkdtempSync(join(tmpdir(), "clustr-bench-project-"));
const fsyncFile = join(dataDir, "fsync-baseline.bin");
const fsyncFd = openSync(fsyncFile, "w");
const record = Buffer.alloc(256, 0x61);

const token = generateToken();
const workspace = await createWorkspace({ dataDir, maxAgents, cols: COLS, rows: ROWS });
const app = await buildServer({
  token,
  workspace,
  dashboardDir,
  routes: (scope) => {
    // The baseline of benchmark 2: a bare POST behind the same security layer, one write and
    // one fdatasync, answered with a small JSON body like the message route.
    scope.post("/bench/fsync", async (_request, reply) => {
      writeSync(fsyncFd, record, 0, record.length, 0);
      fdatasyncSync(fsyncFd);
      return reply.code(201).send({ ok: true });
    });
  },
});
await app.listen({ host: "127.0.0.1", port: 0 });
const address = app.server.address();
const port = typeof address === "object" && address ? address.port : 0;
workspace.setServerUrl(`http://127.0.0.1:${port}`);

const loop = monitorEventLoopDelay({ resolution: 10 });
loop.enable();
let rssMax = 0;
const rssSampler = setInterval(() => {
  rssMax = Math.max(rssMax, process.memoryUsage().rss);
}, 250);

/** This process's CPU time (user + system) since the last reset of the loop monitor. */
let cpuSince = process.cpuUsage();
function resetLoop() {
  loop.reset();
  cpuSince = process.cpuUsage();
}

function loopStats() {
  const { user, system } = process.cpuUsage(cpuSince);
  return {
    cpuMs: (user + system) / 1000,
    maxMs: loop.max / 1e6,
    p99Ms: loop.percentile(99) / 1e6,
    p50Ms: loop.percentile(50) / 1e6,
  };
}

let closing = false;
let nodePty;

/** node-pty spawning `file args` directly in the project folder, at the workspace's terminal size. */
function spawnRaw(file, args, options = {}) {
  nodePty ??= loadNodePty();
  return nodePty.spawn(file, args, { name: "xterm-256color", cols: COLS, rows: ROWS, cwd: project, env: process.env, ...options });
}

// A rejection nobody handled would end this process as it ends the real server. The
// benchmark keeps going so its figures are not lost, and reports each one with when it came
// (during the measurement or while closing): they are defects to fix, not noise.
const unhandled = [];
process.on("unhandledRejection", (reason) => {
  const code = reason && typeof reason === "object" && "code" in reason ? `${reason.code}: ` : "";
  const message = reason instanceof Error ? reason.message : String(reason);
  const where = reason instanceof Error ? (reason.stack ?? "").split("\n").slice(1, 4).map((line) => line.trim()).join(" < ") : "";
  unhandled.push({ phase: closing ? "close" : "run", text: `${code}${message} (${where})` });
});
/**
 * Spawn `file args` in a pty, wait for `ready` in its output, type `trigger`, count until exit.
 * `ms` runs to the last byte, `endMs` to the exit report.
 */
function rawPty({ file, args, ready, trigger }) {
  return new Promise((resolve) => {
    const term = spawnRaw(file, args);
    let seen = "";
    let start = 0;
    let bytes = 0;
    let last = 0;
    term.onData((data) => {
      if (start) {
        bytes += Buffer.byteLength(data);
        last = performance.now();
        return;
      }
      seen += data;
      if (seen.includes(ready)) {
        resetLoop();
        start = performance.now();
        term.write(trigger);
      }
    });
    term.onExit(() => resolve({ bytes, ms: last - start, endMs: performance.now() - start, loop: loopStats() }));
  });
}

/**
 * Spawn `file args` in a pty; once `ready` is in its output type `arm`, and once `armed` is,
 * type each of `keys`, `gapMs` after the echo of the one before came back (`open` + the key
 * in the output). Resolves with the key -> echo times in ms after typing `close`, which ends
 * the program. `untilMs` bounds the run: keys not typed by then are left out.
 */
function rawEcho({ file, args, ready, arm, armed, keys, open, close, gapMs, untilMs }) {
  return new Promise((resolve) => {
    const term = spawnRaw(file, args);
    const times = [];
    let seen = "";
    let phase = "starting";
    let index = 0;
    let typedAt = 0;
    let tail = "";
    let deadline = Infinity;
    const type = () => {
      if (index >= keys.length || performance.now() > deadline) {
        phase = "closing";
        term.write(close);
        return;
      }
      typedAt = performance.now();
      term.write(keys[index]);
    };
    term.onData((data) => {
      if (phase === "starting" || phase === "arming") {
        seen += data;
        if (phase === "starting" && seen.includes(ready)) {
          phase = "arming";
          seen = "";
          term.write(arm);
        } else if (phase === "arming" && seen.includes(armed)) {
          phase = "typing";
          deadline = performance.now() + untilMs;
          setTimeout(type, gapMs);
        }
        return;
      }
      if (phase !== "typing") return;
      // The echo may straddle two reads: keep the end of the one before.
      const text = tail + data;
      tail = text.slice(-8);
      if (!text.includes(`${open}${keys[index]}`)) return;
      times.push(performance.now() - typedAt);
      tail = "";
      index++;
      setTimeout(type, gapMs);
    });
    term.onExit(() => resolve(times));
  });
}

/**
 * The floor of benchmark 1: node-pty piped to a bare `ws` server in this process, nothing of
 * Clustr in between, framed the way the terminal socket frames (output that arrives while a
 * frame is being sent joins the next one). A client that connects gets `GO` as a text frame once
 * the program printed `ready`; what it sends is typed into the program; the socket closes when
 * the program has exited.
 */
let pipe;
async function pipeServer({ file, args, ready }) {
  if (pipe) return { port: pipe.address().port };
  const ws = await loadWsModule();
  const WebSocketServer = ws.WebSocketServer ?? ws.default.WebSocketServer;
  pipe = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  await new Promise((resolve) => pipe.once("listening", resolve));
  pipe.on("connection", (socket) => {
    const term = spawnRaw(file, args, { encoding: null });
    let seen = "";
    let pending = [];
    let sending = false;
    const flush = () => {
      if (pending.length === 0 || socket.readyState !== socket.OPEN) {
        sending = false;
        return;
      }
      const frame = pending.length === 1 ? pending[0] : Buffer.concat(pending);
      pending = [];
      sending = true;
      socket.send(frame, { binary: true }, () => setTimeout(flush, 0));
    };
    term.onData((data) => {
      if (seen !== null) {
        seen += data.toString("latin1");
        if (seen.includes(ready)) {
          seen = null;
          socket.send("GO");
        }
        return;
      }
      pending.push(data);
      if (!sending) flush();
    });
    socket.on("message", (data) => {
      resetLoop();
      term.write(data.toString("utf8"));
    });
    term.onExit(() => {
      const close = () => (sending ? setTimeout(close, 1) : socket.close(1000));
      close();
    });
  });
  return { port: pipe.address().port };
}

const commands = {
  raw: (message) => rawPty(message),
  pipeServer: (message) => pipeServer(message),
  rawEcho: (message) => rawEcho(message),
  loopReset: () => {
    resetLoop();
    return null;
  },
  loopRead: () => loopStats(),
  rss: () => ({ now: process.memoryUsage().rss, max: rssMax }),
  unhandled: () => unhandled,
  rssReset: () => {
    rssMax = process.memoryUsage().rss;
    return null;
  },
  close: async () => {
    closing = true;
    pipe?.close();
    clearInterval(rssSampler);
    loop.disable();
    await app.close();
    await workspace.close();
    // Deliveries still in flight settle on the next turns; give them a moment to report.
    await new Promise((resolve) => setTimeout(resolve, 200));
    closeSync(fsyncFd);
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(project, { recursive: true, force: true });
    return unhandled;
  },
};

process.on("message", async (message) => {
  try {
    const value = await commands[message.cmd](message);
    process.send({ id: message.id, ok: true, value });
    if (message.cmd === "close") process.disconnect();
  } catch (error) {
    process.send({ id: message.id, ok: false, error: error instanceof Error ? error.stack : String(error) });
  }
});

// A client that died mid-run must not leave the server, its agents or the temp folders behind.
process.on("disconnect", () => {
  if (!closing) void commands.close().finally(() => process.exit(0));
});

process.send({ id: 0, ok: true, value: { port, token, dataDir, project, pid: process.pid } });
