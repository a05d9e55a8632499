// Benchmarks of @clustr/store against the built dist (`pnpm bench` builds first).
// 1. repository inserts and point reads vs raw better-sqlite3 prepared statements doing the
//    same SQL (goal: within 1.2x);
// 2. durable (synchronous=FULL) message throughput: the group commit with 50 concurrent
//    senders vs one commit per message (goal: >= 10x).
// The machine is shared and noisy: compare the ratios of one run, not absolute figures across runs.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openStore } from "../dist/index.js";

// Each pair alternates in many short chunks, so both sides see the same background load.
const CHUNKS = Number(process.env.BENCH_CHUNKS ?? 30);
const INSERTS = Number(process.env.BENCH_INSERTS ?? 500);
const READS = Number(process.env.BENCH_READS ?? 5_000);
const DURABLE_CHUNKS = Number(process.env.BENCH_DURABLE_CHUNKS ?? 5);
const GROUP_MESSAGES = Number(process.env.BENCH_GROUP_MESSAGES ?? 1_000);
const SINGLE_MESSAGES = Number(process.env.BENCH_SINGLE_MESSAGES ?? 60);
const SENDERS = 50;

const dir = mkdtempSync(join(tmpdir(), "clustr-store-bench-"));
const now = () => performance.now();
let files = 0;
const open = (synchronous) => openStore({ file: join(dir, `bench-${files++}.db`), synchronous });

/**
 * CPU time of `n` calls of `fn(i)`; returns [n, ms]. `offset` keeps values unique across
 * chunks. CPU time rather than wall time: what separates a repository from a raw statement is
 * the work around the statement, and on a shared machine wall time mostly measures the
 * neighbours (both sides do the same I/O, which is in the CPU time too as system time).
 */
function cpuTimed(n, fn, offset = 0) {
  const start = process.cpuUsage();
  for (let i = 0; i < n; i++) fn(offset + i);
  const used = process.cpuUsage(start);
  return [n, (used.user + used.system) / 1000];
}

/** Wall time of `n` calls of `fn(i)`; returns [n, ms]. */
function timed(n, fn) {
  const start = now();
  for (let i = 0; i < n; i++) fn(i);
  return [n, now() - start];
}

async function timedAsync(n, fn) {
  const start = now();
  await fn();
  return [n, now() - start];
}

const rows = [];
/**
 * Run the two sides alternately for `chunks` chunks (each side returns [ops, ms] for chunk k,
 * k = -1 being the warm-up). The rates shown are over all chunks; the ratio is the median of
 * the ratios of each chunk's pair, so one chunk that met a WAL checkpoint or a busy neighbour
 * does not decide it.
 */
async function compare(name, unit, goal, chunks, ours, theirs, ratioOf) {
  // One unmeasured chunk each first, so neither side pays for JIT warm-up in the figures.
  await ours(-1);
  await theirs(-1);
  const total = { ours: [0, 0], theirs: [0, 0] };
  const ratios = [];
  for (let k = 0; k < chunks; k++) {
    let a;
    let b;
    if (k % 2 === 0) {
      a = await ours(k);
      b = await theirs(k);
    } else {
      b = await theirs(k);
      a = await ours(k);
    }
    total.ours[0] += a[0];
    total.ours[1] += a[1];
    total.theirs[0] += b[0];
    total.theirs[1] += b[1];
    ratios.push(ratioOf(a[0] / a[1], b[0] / b[1]));
  }
  const ra = (total.ours[0] * 1000) / total.ours[1];
  const rb = (total.theirs[0] * 1000) / total.theirs[1];
  rows.push({ name, unit, ours: ra, theirs: rb, ratio: median(ratios), goal });
}

const median = (values) => {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

// ---- 1. repositories vs raw prepared statements -------------------------------------------
// Both sides work on the same connection and tables, so they meet the same data and cache.
// synchronous=NORMAL: without an fsync per commit the cost of the code around the statement
// is what the figure shows, rather than the disk.
{
  const repo = open("NORMAL");
  const sqlite = repo.db.$client;
  const rawEvent = sqlite.prepare("INSERT INTO file_events (cwd, path, kind, agent_ids, at) VALUES (?, ?, ?, ?, ?) RETURNING id");
  const rawEventAgent = sqlite.prepare("INSERT INTO file_event_agents (event_id, agent_id) VALUES (?, ?)");
  const rawWithAgent = sqlite.transaction((path) => {
    const { id } = rawEvent.get("/p", path, "change", '["aaaa1111"]', new Date().toISOString());
    rawEventAgent.run(id, "aaaa1111");
    return id;
  });

  await compare(
    "insert file event, no agents (fileEvents.insert)",
    "rows/CPU-s",
    "<= 1.2x",
    CHUNKS,
    (k) => cpuTimed(INSERTS, (i) => repo.fileEvents.insert({ cwd: "/p", path: `f${i}`, kind: "change", agentIds: [] }), k * INSERTS),
    (k) => cpuTimed(INSERTS, (i) => rawEvent.get("/p", `f${i}`, "change", "[]", new Date().toISOString()), k * INSERTS),
    (ours, raw) => raw / ours,
  );
  await compare(
    "insert file event, 1 agent (fileEvents.insert)",
    "rows/CPU-s",
    "<= 1.2x",
    CHUNKS,
    (k) => cpuTimed(INSERTS, (i) => repo.fileEvents.insert({ cwd: "/p", path: `f${i}`, kind: "change", agentIds: ["aaaa1111"] }), k * INSERTS),
    (k) => cpuTimed(INSERTS, (i) => rawWithAgent.immediate(`f${i}`), k * INSERTS),
    (ours, raw) => raw / ours,
  );

  // Point reads of messages and agents, by id, in random order.
  const agents = [];
  for (let i = 0; i < 200; i++) agents.push(repo.agents.create({ name: `a${i}`, kind: "command", task: "t", cwd: "/" }).id);
  const sends = Array.from({ length: 10 }, (_, k) =>
    repo.messages.send(Array.from({ length: 1_000 }, (_, i) => ({ from: agents[i % 200], to: agents[(i + k) % 200], body: `body ${k}-${i}` }))),
  );
  const sent = (await Promise.all(sends)).flat().map((m) => m.id);
  const pick = (ids) => Array.from({ length: READS }, () => ids[Math.floor(Math.random() * ids.length)]);
  const order = pick(sent);
  const agentOrder = pick(agents);
  const rawMessage = sqlite.prepare(
    "SELECT id, from_id, to_id, body, state, created_at, delivered_at, read_at FROM messages WHERE id = ?",
  );
  const rawAgent = sqlite.prepare("SELECT * FROM agents WHERE id = ?");

  await compare(
    "point read message (messages.get)",
    "reads/CPU-s",
    "<= 1.2x",
    CHUNKS,
    () => cpuTimed(READS, (i) => repo.messages.get(order[i])),
    () => cpuTimed(READS, (i) => rawMessage.get(order[i])),
    (ours, raw) => raw / ours,
  );
  await compare(
    "point read agent (agents.get)",
    "reads/CPU-s",
    "<= 1.2x",
    CHUNKS,
    () => cpuTimed(READS, (i) => repo.agents.get(agentOrder[i])),
    () => cpuTimed(READS, (i) => rawAgent.get(agentOrder[i])),
    (ours, raw) => raw / ours,
  );
  await repo.close();
}

// ---- 2. durable group commit vs one commit per message ------------------------------------
{
  const grouped = open("FULL");
  const single = open("FULL");
  const from = grouped.agents.create({ name: "from", kind: "command", task: "t", cwd: "/" }).id;
  const to = grouped.agents.create({ name: "to", kind: "command", task: "t", cwd: "/" }).id;
  const sFrom = single.agents.create({ name: "from", kind: "command", task: "t", cwd: "/" }).id;
  const sTo = single.agents.create({ name: "to", kind: "command", task: "t", cwd: "/" }).id;
  const rawInsert = single.db.$client.prepare(
    "INSERT INTO messages (from_id, to_id, body, state, created_at) VALUES (?, ?, ?, 'queued', ?) RETURNING id",
  );

  const groupedRun = () =>
    timedAsync(GROUP_MESSAGES, async () => {
      let next = 0;
      const sender = async () => {
        while (next < GROUP_MESSAGES) {
          next++;
          await grouped.messages.send([{ from, to, body: "hello" }]);
        }
      };
      await Promise.all(Array.from({ length: SENDERS }, sender));
    });
  // One autocommit INSERT per message: a transaction and an fsync each. 50 concurrent senders
  // cannot do better than one after the other here: SQLite has one writer.
  const perMessageRaw = () => timed(SINGLE_MESSAGES, () => rawInsert.get(sFrom, sTo, "hello", new Date().toISOString()));
  // The store's own path with no concurrency: every send is a group of one.
  const perMessageStore = () =>
    timedAsync(SINGLE_MESSAGES, async () => {
      for (let i = 0; i < SINGLE_MESSAGES; i++) await single.messages.send([{ from: sFrom, to: sTo, body: "hello" }]);
    });

  const groupsBefore = grouped.groupCommitStats.groups;
  const jobsBefore = grouped.groupCommitStats.jobs;
  await compare(
    `durable sends, group commit, ${SENDERS} senders vs raw 1 commit/msg`,
    "msgs/s",
    ">= 10x",
    DURABLE_CHUNKS,
    groupedRun,
    perMessageRaw,
    (ours, raw) => ours / raw,
  );
  const perGroup = (grouped.groupCommitStats.jobs - jobsBefore) / (grouped.groupCommitStats.groups - groupsBefore);
  await compare(
    `durable sends, group commit, ${SENDERS} senders vs store 1 sender`,
    "msgs/s",
    ">= 10x",
    DURABLE_CHUNKS,
    groupedRun,
    perMessageStore,
    (ours, single) => ours / single,
  );
  rows.push({ name: "  messages per group commit (mean)", unit: "", ours: perGroup, theirs: NaN, ratio: NaN, goal: "" });
  await grouped.close();
  await single.close();
}

rmSync(dir, { recursive: true, force: true });

const fmt = (n) => (Number.isNaN(n) ? "" : n >= 100 ? Math.round(n).toLocaleString("en-US") : n.toFixed(1));
const table = [
  ["benchmark", "unit", "store", "baseline", "ratio", "goal"],
  ...rows.map((r) => [r.name, r.unit, fmt(r.ours), fmt(r.theirs), Number.isNaN(r.ratio) ? "" : `${r.ratio.toFixed(2)}x`, r.goal]),
];
const widths = table[0].map((_, c) => Math.max(...table.map((row) => row[c].length)));
const line = (row) => `| ${row.map((cell, c) => cell.padEnd(widths[c])).join(" | ")} |`;
console.log(`@clustr/store benchmark: node ${process.version}; each pair alternates in chunks (${CHUNKS} per pair, ${DURABLE_CHUNKS} for durable sends)`);
console.log(line(table[0]));
console.log(`|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`);
for (const row of table.slice(1)) console.log(line(row));
console.log("Ratios are medians of paired chunks. Insert/read: baseline/store (lower is better); durable: store/baseline (higher is better).");
