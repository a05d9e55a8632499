// Benchmark 2: a message sent as the user (`POST /api/messages`) until its `message.created`
// reaches a client of `WS /api/events`, against a bare HTTP round trip plus one fdatasync (a
// trivial POST route in the same server process, behind the same security layer, from the
// same keep-alive client). One request at a time; the variants alternate in chunks.
import { expectStatus, httpClient, machineNote, median, openEvents, printTable, quantile, startHost, waitUntil } from "./lib/client.mjs";

const CHUNKS = Number(process.env.BENCH_CHUNKS ?? 20);
const CHUNK = Number(process.env.BENCH_CHUNK ?? 25);
const GOAL = 2;

const note = await machineNote();
const host = await startHost();
const client = httpClient(host.port, 1);
const samples = { send: [], sendResponse: [], fsync: [] };
let events;
try {
  // The recipient: cat reads what is typed into it, so delivered notices never pile up.
  const { agent } = expectStatus(
    await client.request("POST", "/api/agents", host.token, { name: "inbox", kind: "command", command: "cat", cwd: host.project, task: "ready" }),
    201,
    "spawn",
  );
  await waitUntil(async () => (await client.request("GET", `/api/agents/${agent.id}`, host.token)).body.agent.status === "running", "the recipient running");

  const arrivals = new Map(); // body -> arrival time
  const waiters = new Map(); // body -> resolve
  events = await openEvents(host, (event, at) => {
    if (event.type !== "message.created") return;
    const body = event.data.message.body;
    arrivals.set(body, at);
    waiters.get(body)?.(at);
  });

  const sendOne = async (n) => {
    const body = `bench ${n}`;
    const arrived = new Promise((resolve) => waiters.set(body, resolve));
    const start = performance.now();
    const res = await client.request("POST", "/api/messages", host.token, { to: "inbox", body });
    expectStatus(res, 201, "send");
    const at = arrivals.get(body) ?? (await arrived);
    waiters.delete(body);
    arrivals.delete(body);
    samples.send.push(at - start);
    samples.sendResponse.push(res.ms);
  };
  const fsyncOne = async () => {
    const res = await client.request("POST", "/bench/fsync", host.token, { to: "inbox", body: "baseline" });
    expectStatus(res, 201, "fsync route");
    samples.fsync.push(res.ms);
  };

  // Warm up both paths (JIT, prepared statements, the socket) and drop those samples.
  for (let i = 0; i < 20; i++) {
    await sendOne(`warm-${i}`);
    await fsyncOne();
  }
  samples.send.length = samples.sendResponse.length = samples.fsync.length = 0;

  let n = 0;
  for (let chunk = 0; chunk < CHUNKS; chunk++) {
    const sendFirst = chunk % 2 === 0;
    if (!sendFirst) for (let i = 0; i < CHUNK; i++) await fsyncOne();
    for (let i = 0; i < CHUNK; i++) await sendOne(n++);
    if (sendFirst) for (let i = 0; i < CHUNK; i++) await fsyncOne();
  }
} finally {
  events?.close();
  client.close();
  await host.close();
}

const baseP50 = median(samples.fsync);
const baseP99 = quantile(samples.fsync, 0.99);
const row = (name, list) => [name, list.length, median(list), quantile(list, 0.99), Math.max(...list), median(list) / baseP50, quantile(list, 0.99) / baseP99];
printTable(`2. send -> stored -> message.created, ${CHUNKS} chunks of ${CHUNK} alternating, one at a time (${note})`, [
  ["path", "n", "p50 ms", "p99 ms", "max ms", "p50 ratio", "p99 ratio"],
  row("HTTP POST + 1 fdatasync (baseline)", samples.fsync),
  row("POST /api/messages -> 201", samples.sendResponse),
  row("POST /api/messages -> WS message.created", samples.send),
], 3);
const ratio = median(samples.send) / baseP50;
console.log(`goal: send -> event p50 <= ${GOAL}x baseline -> ${ratio.toFixed(2)}x ${ratio <= GOAL ? "met" : `NOT met (${(ratio / GOAL).toFixed(2)}x over the goal)`}`);
