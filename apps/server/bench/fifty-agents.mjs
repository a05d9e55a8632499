// Benchmark 3: 50 command agents (cat, so delivered notices are read) exchanging messages for
// BENCH_SECONDS (60 by default). Each agent, once a second at its own phase, sends one message
// to a random other agent and reads its inbox, through the bridge routes with its own token
// (`POST /api/bridge/tools/send_message`, `read_messages`) as its bridge would. Measured: the
// server process's RSS (sampled every 250 ms in that process), its event-loop delay, and the
// event latency — from the send's 200 at the client to `message.created` at a WS client.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expectStatus, httpClient, machineNote, openEvents, printTable, quantile, sleep, startHost, waitUntil } from "./lib/client.mjs";

const AGENTS = Number(process.env.BENCH_AGENTS ?? 50);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 60);
const PERIOD_MS = 1000;
const GOAL_RSS_MB = 300;
const GOAL_P99_MS = 50;

const note = await machineNote();
const host = await startHost({ BENCH_MAX_AGENTS: String(AGENTS + 10) });
const client = httpClient(host.port, AGENTS * 2);
const sentAt = new Map(); // message id -> {start, response}
const arrivedAt = new Map(); // message id -> arrival
const errors = new Map();
let events;
let rssIdle;
let rssRun;
let loop;
let spawnMs;
let requests = 0;
try {
  events = await openEvents(host, (event, at) => {
    if (event.type === "message.created") arrivedAt.set(event.data.message.id, at);
  });

  // Spawn through the API, a few at a time, as a lead agent's helpers would arrive.
  const spawnStart = performance.now();
  const agents = [];
  for (let i = 0; i < AGENTS; i += 5) {
    const batch = [];
    for (let j = i; j < Math.min(AGENTS, i + 5); j++) {
      batch.push(
        client
          .request("POST", "/api/agents", host.token, { name: `a${j}`, kind: "command", command: "cat", cwd: host.project, task: `agent ${j}` })
          .then((res) => expectStatus(res, 201, `spawn a${j}`).agent),
      );
    }
    agents.push(...(await Promise.all(batch)));
  }
  await waitUntil(
    async () => {
      const { agents: list } = (await client.request("GET", "/api/agents", host.token)).body;
      const bad = list.find((a) => a.status === "failed" || a.status === "done");
      if (bad) throw new Error(`agent ${bad.name} ${bad.status}: ${JSON.stringify(bad.error)}`);
      return list.filter((a) => a.status === "running").length === AGENTS;
    },
    `${AGENTS} agents running`,
    120_000,
  );
  spawnMs = performance.now() - spawnStart;
  for (const agent of agents) agent.token = readFileSync(join(host.dataDir, "agents", agent.id, "token"), "utf8").trim();

  await sleep(1000);
  rssIdle = await host.call("rss");
  await host.call("rssReset");
  await host.call("loopReset");

  const tool = async (agent, name, input) => {
    requests++;
    const res = await client.request("POST", `/api/bridge/tools/${name}`, agent.token, input);
    if (res.status !== 200) {
      const key = `${name} ${res.status} ${res.body?.error?.code ?? ""}`;
      errors.set(key, (errors.get(key) ?? 0) + 1);
      return undefined;
    }
    return res;
  };
  const deadline = performance.now() + SECONDS * 1000;
  let n = 0;
  const runAgent = async (agent, index) => {
    await sleep(Math.random() * PERIOD_MS);
    while (performance.now() < deadline) {
      const tick = performance.now();
      let peer = Math.floor(Math.random() * (AGENTS - 1));
      if (peer >= index) peer++;
      const start = performance.now();
      const res = await tool(agent, "send_message", { to: `a${peer}`, body: `from a${index}, note ${n++}: the build on my side is green` });
      for (const message of res?.body.result.messages ?? []) sentAt.set(message.id, { start, response: res.at });
      await tool(agent, "read_messages", {});
      await sleep(Math.max(0, PERIOD_MS - (performance.now() - tick)));
    }
  };
  await Promise.all(agents.map(runAgent));
  await sleep(500); // the last events in flight
  rssRun = await host.call("rss");
  loop = await host.call("loopRead");
} finally {
  events?.close();
  client.close();
  await host.close();
}

const afterResponse = [];
const afterSend = [];
let missing = 0;
let early = 0;
for (const [id, { start, response }] of sentAt) {
  const at = arrivedAt.get(id);
  if (at === undefined) {
    missing++;
    continue;
  }
  // The event is emitted when the row is committed, before the answer is written: it may
  // reach the WS client first. That counts as zero wait after the 200.
  if (at < response) early++;
  afterResponse.push(Math.max(0, at - response));
  afterSend.push(at - start);
}
const mb = (bytes) => bytes / 1024 / 1024;
printTable(`3. ${AGENTS} command agents exchanging messages for ${SECONDS} s, 1 send + 1 read per agent per second (${note})`, [
  ["measure", "value", "goal", "met"],
  ["messages sent", sentAt.size, "", ""],
  ["bridge requests (send + read)", requests, "", ""],
  ["request errors", [...errors.values()].reduce((a, b) => a + b, 0), 0, errors.size === 0 ? "yes" : "no"],
  ["events missing", missing, 0, missing === 0 ? "yes" : "no"],
  [`spawn ${AGENTS} -> all running, s`, spawnMs / 1000, "", ""],
  ["server RSS idle with agents, MB", mb(rssIdle.now), "", ""],
  ["server RSS max during run, MB", mb(rssRun.max), `<= ${GOAL_RSS_MB}`, mb(rssRun.max) <= GOAL_RSS_MB ? "yes" : "no"],
  ["event latency after 200, p50 ms", quantile(afterResponse, 0.5), "", ""],
  ["event latency after 200, p99 ms", quantile(afterResponse, 0.99), `<= ${GOAL_P99_MS}`, quantile(afterResponse, 0.99) <= GOAL_P99_MS ? "yes" : "no"],
  ["events before the 200, %", (100 * early) / Math.max(1, afterResponse.length), "", ""],
  ["send -> event, p50 ms", quantile(afterSend, 0.5), "", ""],
  // Stricter than the goal's definition, since the event usually beats the 200: from the request.
  ["send -> event, p99 ms", quantile(afterSend, 0.99), `(<= ${GOAL_P99_MS})`, quantile(afterSend, 0.99) <= GOAL_P99_MS ? "yes" : "no"],
  ["server event-loop delay p99 / max, ms", `${loop.p99Ms.toFixed(1)} / ${loop.maxMs.toFixed(1)}`, "", ""],
]);
if (errors.size) console.log(`errors: ${JSON.stringify(Object.fromEntries(errors))}`);
