// Benchmark 1: pty output through `WS /api/agents/:id/terminal` to a ws client on 127.0.0.1,
// against node-pty spawning the same program and reading it directly, in the same server
// process, alternating round by round. A third variant pipes node-pty straight into a bare
// `ws` server in that process (no Clustr in between): the floor of any pty -> WebSocket path. The program prints READY, waits for a line holding
// FLOOD, writes BENCH_MB MiB of 80-byte lines as fast as the pty takes them, and exits. Both
// variants time from typing FLOOD to the last byte received, so that the rate is the rate of
// the bytes; the time from there to the end (node-pty's exit report for raw; the socket's
// close, which comes after the agent's exit is recorded, for the server) is shown beside it.
// The server's event-loop delay is read in its own process.
import { expectStatus, FLOOD_PROGRAM, httpClient, loadWs, machineNote, median, printTable, startHost, waitUntil } from "./lib/client.mjs";

const SIZE_MB = Number(process.env.BENCH_MB ?? 32);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 6);
const GOAL_RATIO = 0.8;
const GOAL_STALL_MS = 50;

async function raw(host) {
  return host.call("raw", { file: process.execPath, args: ["-e", FLOOD_PROGRAM, String(SIZE_MB)], ready: "READY", trigger: "FLOOD\r" });
}

/** The same program through a bare node-pty -> `ws` pipe in the server process (the floor). */
async function throughPipe(host, WebSocket) {
  const { port } = await host.call("pipeServer", { file: process.execPath, args: ["-e", FLOOD_PROGRAM, String(SIZE_MB)], ready: "READY" });
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}`);
    let start = 0;
    let last = 0;
    let bytes = 0;
    let frames = 0;
    ws.on("error", reject);
    ws.on("message", (data, binary) => {
      if (!binary) {
        start = performance.now();
        ws.send("FLOOD\r");
        return;
      }
      bytes += data.length;
      frames++;
      last = performance.now();
    });
    ws.on("close", async () => {
      const endMs = performance.now() - start;
      const loop = await host.call("loopRead");
      resolve({ bytes, frames, ms: last - start, endMs, loop });
    });
  });
}

async function throughServer(host, client, WebSocket, round) {
  const { agent } = expectStatus(
    await client.request("POST", "/api/agents", host.token, {
      name: `flood-${round}`,
      kind: "command",
      command: process.execPath,
      args: ["-e", FLOOD_PROGRAM, String(SIZE_MB)],
      cwd: host.project,
      task: "wait",
    }),
    201,
    "spawn",
  );
  // Running means the task was typed: the program is up and waiting for FLOOD.
  await waitUntil(async () => {
    const res = await client.request("GET", `/api/agents/${agent.id}`, host.token);
    const status = res.body.agent.status;
    if (status === "failed" || status === "done") throw new Error(`agent ${status}: ${JSON.stringify(res.body.agent.error)}`);
    return status === "running";
  }, "the flood agent running");

  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${host.port}/api/agents/${agent.id}/terminal`, { headers: { authorization: `Bearer ${host.token}` } });
    let start = 0;
    let last = 0;
    let bytes = 0;
    let frames = 0;
    ws.on("error", reject);
    ws.on("open", async () => {
      await host.call("loopReset");
      start = performance.now();
      ws.send(JSON.stringify({ type: "input", data: "FLOOD\r" }));
    });
    ws.on("message", (data) => {
      if (!start) return;
      bytes += data.length;
      frames++;
      last = performance.now();
    });
    ws.on("close", async (code) => {
      const endMs = performance.now() - start;
      const loop = await host.call("loopRead");
      resolve({ bytes, frames, ms: last - start, endMs, loop, code });
    });
  });
}

const note = await machineNote();
const WebSocket = await loadWs();
const host = await startHost({ BENCH_MAX_AGENTS: String(ROUNDS + 5) });
const client = httpClient(host.port);
const results = { raw: [], pipe: [], server: [] };
try {
  await raw(host); // warm up node, the page cache and node-pty
  const variants = [
    ["raw", () => raw(host)],
    ["pipe", () => throughPipe(host, WebSocket)],
    ["server", (round) => throughServer(host, client, WebSocket, round)],
  ];
  for (let round = 0; round < ROUNDS; round++) {
    // Rotate the order too, so that no variant always runs on the warmer machine.
    for (let i = 0; i < variants.length; i++) {
      const [name, run] = variants[(round + i) % variants.length];
      results[name].push(await run(round));
    }
  }
} finally {
  client.close();
  await host.close();
}

const rate = (r) => r.bytes / 1024 / 1024 / (r.ms / 1000);
const rawRate = median(results.raw.map(rate));
const serverRate = median(results.server.map(rate));
const stall = (list) => Math.max(...list.map((r) => r.loop.maxMs));
const rows = [
  ["path", "median MiB/s", "min MiB/s", "max MiB/s", "ratio to raw", "MiB received", "last byte -> end ms", "server CPU ms/MiB", "loop delay p99 ms", "loop delay max ms"],
  ...[
    ["node-pty onData (raw)", results.raw, rawRate],
    ["bare node-pty -> ws pipe (floor)", results.pipe, median(results.pipe.map(rate))],
    ["WS /api/agents/:id/terminal", results.server, serverRate],
  ].map(([name, list, med]) => [
    name,
    med,
    Math.min(...list.map(rate)),
    Math.max(...list.map(rate)),
    med / rawRate,
    median(list.map((r) => r.bytes / 1024 / 1024)),
    median(list.map((r) => r.endMs - r.ms)),
    median(list.map((r) => r.loop.cpuMs / (r.bytes / 1024 / 1024))),
    median(list.map((r) => r.loop.p99Ms)),
    stall(list),
  ]),
];
printTable(`1. pty output: ${SIZE_MB} MiB from node, ${ROUNDS} rounds each, alternating (${note})`, rows);
const ratio = serverRate / rawRate;
const worst = stall(results.server);
console.log(`goal: >= ${GOAL_RATIO * 100}% of raw -> ${(ratio * 100).toFixed(0)}% ${ratio >= GOAL_RATIO ? "met" : `NOT met (short by ${((GOAL_RATIO - ratio) * 100).toFixed(0)} points)`}`);
console.log(`goal: no event-loop stall > ${GOAL_STALL_MS} ms in the server -> worst ${worst.toFixed(1)} ms ${worst <= GOAL_STALL_MS ? "met" : "NOT met"}`);
const pipeRate = median(results.pipe.map(rate));
console.log(`the bare pipe reaches ${((pipeRate / rawRate) * 100).toFixed(0)}% of raw; the terminal socket ${((serverRate / pipeRate) * 100).toFixed(0)}% of the bare pipe`);
const closes = results.server.map((r) => r.code).filter((code) => code !== 4001 && code !== undefined);
console.log(`server frames: median ${median(results.server.map((r) => r.bytes / r.frames / 1024)).toFixed(1)} KiB each`);
if (closes.length) console.log(`note: terminal sockets closed with codes ${[...new Set(closes)].join(", ")}`);
