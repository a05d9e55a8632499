// Pty output throughput: a subscriber of a spawner session against plain node-pty reading, in
// the same run, alternating, on the same file. Run after a build: `pnpm bench`.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pty from "node-pty";
import { spawnPty } from "../dist/index.js";

const SIZE_MB = Number(process.env.BENCH_MB ?? 32);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const GOAL = 0.8;

const dir = mkdtempSync(join(tmpdir(), "clustr-bench-"));
const file = join(dir, "out.txt");
const line = `${"x".repeat(79)}\n`;
writeFileSync(file, line.repeat(Math.floor((SIZE_MB * 1024 * 1024) / line.length)));

// This process's CPU time (user + system) since `since`, in ms: less sensitive to a busy machine.
function cpuMs(since) {
  const { user, system } = process.cpuUsage(since);
  return (user + system) / 1000;
}

function raw() {
  return new Promise((resolve) => {
    const cpu = process.cpuUsage();
    const start = performance.now();
    let bytes = 0;
    const term = pty.spawn("cat", [file], { cols: 120, rows: 40, cwd: dir, env: process.env });
    term.onData((data) => {
      bytes += Buffer.byteLength(data);
    });
    term.onExit(() => resolve({ bytes, ms: performance.now() - start, cpuMs: cpuMs(cpu) }));
  });
}

async function session() {
  const cpu = process.cpuUsage();
  const start = performance.now();
  let bytes = 0;
  const s = spawnPty({ file: "cat", args: [file], cwd: dir, cols: 120, rows: 40 });
  s.subscribe((data) => {
    bytes += Buffer.byteLength(data);
  });
  await s.exited;
  const ms = performance.now() - start;
  const used = cpuMs(cpu);
  await s.close();
  return { bytes, ms, cpuMs: used };
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const results = { raw: [], session: [] };
await raw(); // warm up
for (let round = 0; round < ROUNDS; round++) {
  results.raw.push(await raw());
  results.session.push(await session());
}
rmSync(dir, { recursive: true, force: true });

const rate = (r) => r.bytes / 1e6 / (r.ms / 1000);
const cpuPerMib = (r) => r.cpuMs / (r.bytes / 1024 / 1024);
const rawRate = median(results.raw.map(rate));
const sessionRate = median(results.session.map(rate));
const rawCpu = median(results.raw.map(cpuPerMib));
const sessionCpu = median(results.session.map(cpuPerMib));
const rows = [
  ["path", "median MB/s", "min MB/s", "max MB/s", "ratio to raw", "CPU ms/MiB", "CPU ratio"],
  ["node-pty onData (raw)", rawRate, Math.min(...results.raw.map(rate)), Math.max(...results.raw.map(rate)), 1, rawCpu, 1],
  ["session subscriber", sessionRate, Math.min(...results.session.map(rate)), Math.max(...results.session.map(rate)), sessionRate / rawRate, sessionCpu, sessionCpu / rawCpu],
];
console.log(`pty output, ${SIZE_MB} MiB through cat, ${ROUNDS} rounds each, alternating`);
for (const row of rows) console.log(row.map((cell, i) => (typeof cell === "number" ? cell.toFixed(2) : cell).padStart(i === 0 ? 22 : 12)).join(" |"));
console.log(`goal: session >= ${GOAL * 100}% of raw -> ${sessionRate / rawRate >= GOAL ? "met" : "NOT met"}`);
