// Startup and per-call cost of the bridge, against the floor each one cannot beat: a bare node
// process, and the same HTTP POST made directly. Prints a table; asserts nothing (timings on a
// shared machine are noise for tests).
import { spawn } from "node:child_process";
import { createServer, request } from "node:http";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { bridgeScriptPath } from "../dist/index.js";

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const CALLS = Number(process.env.BENCH_CALLS ?? 200);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const server = createServer((req, res) => {
  req.resume();
  req.on("end", () => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(req.url === "/api/bridge/tools/get_rules" ? '{"result":{"content":"rules"}}' : "{}");
  });
});
await new Promise((r) => server.listen(0, "127.0.0.1", r));
const url = `http://127.0.0.1:${server.address().port}`;
const env = { CLUSTR_URL: url, CLUSTR_AGENT_ID: "bench1", CLUSTR_AGENT_TOKEN: "bench-token" };

async function bareNode() {
  const start = performance.now();
  await new Promise((resolve) => spawn(process.execPath, ["-e", "0"]).on("exit", resolve));
  return performance.now() - start;
}

async function bridgeToToolList() {
  const start = performance.now();
  const client = new Client({ name: "bench", version: "1" });
  await client.connect(new StdioClientTransport({ command: process.execPath, args: [bridgeScriptPath()], env, stderr: "ignore" }));
  await client.listTools();
  const elapsed = performance.now() - start;
  await client.close();
  return elapsed;
}

function directPost() {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const req = request(`${url}/api/bridge/tools/get_rules`, { method: "POST", headers: { authorization: "Bearer bench-token", "content-type": "application/json" } }, (res) => {
      res.resume();
      res.on("end", () => resolve(performance.now() - start));
    });
    req.on("error", reject);
    req.end("{}");
  });
}

const node = [];
const startup = [];
for (let i = 0; i < RUNS; i++) {
  node.push(await bareNode());
  startup.push(await bridgeToToolList());
}

const client = new Client({ name: "bench", version: "1" });
await client.connect(new StdioClientTransport({ command: process.execPath, args: [bridgeScriptPath()], env, stderr: "ignore" }));
const viaBridge = [];
const direct = [];
for (let i = 0; i < CALLS; i++) {
  const start = performance.now();
  await client.callTool({ name: "get_rules", arguments: {} });
  viaBridge.push(performance.now() - start);
  direct.push(await directPost());
}
await client.close();
server.close();

const rows = [
  ["bare node process (spawn to exit)", median(node), 1],
  ["bridge: spawn to tools/list answered", median(startup), median(startup) / median(node)],
  ["direct POST /api/bridge/tools/get_rules", median(direct), 1],
  ["get_rules through the bridge (MCP call)", median(viaBridge), median(viaBridge) / median(direct)],
];
process.stdout.write(`runs: ${RUNS} startups, ${CALLS} calls (medians)\n\n| measure | ms | ratio to floor |\n|---|---:|---:|\n`);
for (const [name, ms, ratio] of rows) process.stdout.write(`| ${name} | ${ms.toFixed(2)} | ${ratio.toFixed(2)}x |\n`);
