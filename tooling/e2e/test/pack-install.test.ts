// e2e pack: the tarballs `pnpm pack` makes of clustr-ai, @clustr/bridge and their workspace
// dependencies, installed with npm into a folder of their own (pack-install.mjs, which
// isolated.sh runs before entering the loopback-only namespace), run with no workspace behind
// them: the installed `clustr-ai` serves the dashboard and starts a real Claude Code agent whose
// installed bridge reports its tools ready.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { AgentResponseSchema, HealthResponseSchema, ServerInfoSchema, type Agent, type ServerInfo } from "@clustr/protocol";
import { isAlive, makeTempDir, waitFor, waitForExit, type TempDir } from "@clustr/test-utils";
import { claudeEnv, packedInstallRecord, requireCli, startFakeAnthropic, DONE_TEXT, type FakeModelServer } from "../src/index.js";

const WORKSPACE = realpathSync(fileURLToPath(new URL("../../..", import.meta.url)));
const PREPARE = "node tooling/e2e/pack-install.mjs (tooling/e2e/isolated.sh runs it before entering the namespace)";
/** How long a real agent may take to start and finish a turn on a busy 2-core machine. */
const AGENT_TIMEOUT_MS = 150_000;
const TASK = "Check who is here.\nCALL list_agents {}";

interface PackedInstall {
  fingerprint: string;
  prefix: string;
  tarballs: Record<string, string>;
  packages: string[];
}

/** What pack-install.mjs installed last; fails with the command to run when there is nothing. */
function packedInstall(): PackedInstall {
  const file = packedInstallRecord(WORKSPACE);
  if (!existsSync(file)) throw new Error(`no packed install at ${file}: run ${PREPARE}`);
  const current = JSON.parse(readFileSync(file, "utf8")) as PackedInstall;
  if (!existsSync(join(current.prefix, "node_modules", ".bin", "clustr-ai"))) throw new Error(`${current.prefix} has no clustr-ai: run ${PREPARE}`);
  return current;
}

/** The workspace folder of a published package. */
function workspaceDir(name: string): string {
  return name === "clustr-ai" ? join(WORKSPACE, "apps", "server") : join(WORKSPACE, "packages", name.replace("@clustr/", ""));
}

function tar(args: string[]): string {
  const result = spawnSync("tar", args, { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`tar ${args.join(" ")}: ${result.stderr}`);
  return result.stdout;
}

/** Every process whose environment holds `name=value` (read from /proc), with its command line. */
function processesWithEnv(name: string, value: string): { pid: number; argv: string[] }[] {
  const found: { pid: number; argv: string[] }[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const env = readFileSync(`/proc/${entry}/environ`, "utf8").split("\0");
      if (!env.includes(`${name}=${value}`)) continue;
      found.push({ pid: Number(entry), argv: readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0").filter(Boolean) });
    } catch {
      // Gone meanwhile, or not ours to read.
    }
  }
  return found;
}

describe("e2e pack", () => {
  it("packs tarballs with dist, bins, migrations and the dashboard, real versions, and no sources or tests", () => {
    const packed = packedInstall();
    expect(packed.packages).toEqual(
      expect.arrayContaining(["clustr-ai", "@clustr/bridge", "@clustr/core", "@clustr/store", "@clustr/protocol", "@clustr/spawner"]),
    );
    for (const name of packed.packages) {
      const tarball = packed.tarballs[name];
      expect(tarball, name).toBeDefined();
      const entries = tar(["tzf", tarball!]).split("\n").filter(Boolean);
      expect(entries, name).toContain("package/package.json");
      expect(entries, name).toContain("package/dist/index.js");
      expect(entries, name).toContain("package/dist/index.d.ts");
      expect(entries.filter((e) => /^package\/(src|test|bench)\//.test(e) || /\.test\.[cm]?[jt]s$/.test(e)), name).toEqual([]);

      const manifest = tar(["xzf", tarball!, "-O", "package/package.json"]);
      expect(manifest, name).not.toMatch(/"workspace:/);
      const pkg = JSON.parse(manifest) as { version: string; dependencies?: Record<string, string> };
      const source = JSON.parse(readFileSync(join(workspaceDir(name), "package.json"), "utf8")) as {
        version: string;
        dependencies?: Record<string, string>;
      };
      expect(pkg.version, name).toBe(source.version);
      // Each workspace dependency now names the version it is published with.
      for (const [dep, spec] of Object.entries(source.dependencies ?? {})) {
        if (!spec.startsWith("workspace:")) continue;
        expect(packed.packages, `${name} -> ${dep}`).toContain(dep);
        const depVersion = (JSON.parse(readFileSync(join(workspaceDir(dep), "package.json"), "utf8")) as { version: string }).version;
        expect(pkg.dependencies?.[dep], `${name} -> ${dep}`).toBe(depVersion);
      }
    }
    const entries = (name: string) => tar(["tzf", packed.tarballs[name]!]).split("\n");
    expect(entries("clustr-ai")).toEqual(expect.arrayContaining(["package/bin/clustr-ai.js", "package/dist/cli.js", "package/dist/dashboard/index.html"]));
    expect(entries("clustr-ai").some((e) => e.startsWith("package/dist/dashboard/_app/"))).toBe(true);
    expect(entries("@clustr/bridge")).toEqual(expect.arrayContaining(["package/bin/clustr-bridge.js", "package/dist/main.js"]));
    expect(entries("@clustr/store")).toEqual(expect.arrayContaining(["package/drizzle/meta/_journal.json"]));
    expect(entries("@clustr/store").some((e) => /^package\/drizzle\/\d{4}_.*\.sql$/.test(e))).toBe(true);
  });

  describe("the npm-installed clustr-ai", () => {
    let root: TempDir | undefined;
    let model: FakeModelServer | undefined;
    let server: ChildProcess | undefined;
    let output = "";

    afterEach(async () => {
      if (server && server.exitCode === null && server.signalCode === null) {
        server.kill("SIGKILL");
        await waitForExit(server);
      }
      await model?.close();
      await root?.cleanup();
      server = undefined;
      model = undefined;
      root = undefined;
      output = "";
    });

    it("runs from its own prefix: health, the dashboard, and a claude agent whose installed bridge reports ready", async () => {
      const packed = packedInstall();
      const prefix = realpathSync(packed.prefix);
      const modules = join(prefix, "node_modules");
      // The prefix holds this checkout's build: its shipped files match the workspace's.
      for (const name of packed.packages) {
        const installed = readFileSync(join(modules, name, "dist", "index.js"), "utf8");
        expect(installed === readFileSync(join(workspaceDir(name), "dist", "index.js"), "utf8"), `${name} is stale: run ${PREPARE}`).toBe(true);
      }
      expect(readFileSync(join(modules, "clustr-ai", "dist", "dashboard", "index.html"), "utf8")).toBe(
        readFileSync(join(WORKSPACE, "apps", "dashboard", "build", "index.html"), "utf8"),
      );

      const claude = await requireCli("claude-2.1.197");
      root = await makeTempDir("clustr-e2e-pack-");
      const cwd = join(root.path, "my.project");
      const home = join(root.path, "home");
      const dataDir = join(root.path, "data");
      const configDir = join(root.path, "claude-config");
      for (const dir of [cwd, home, configDir]) mkdirSync(dir);
      writeFileSync(join(cwd, "README.md"), "# a project\n");
      model = await startFakeAnthropic();
      // A returning user: onboarding done and this key approved; the folder's trust is Clustr's to give.
      writeFileSync(
        join(configDir, ".claude.json"),
        JSON.stringify({ hasCompletedOnboarding: true, customApiKeyResponses: { approved: [model.apiKey.slice(-20)], rejected: [] }, projects: {} }),
      );

      // Only what a user's shell would hold: no workspace path anywhere (PATH is the system's).
      const env: NodeJS.ProcessEnv = { ...claudeEnv({ home, configDir, model, path: "/usr/local/bin:/usr/bin:/bin" }), CLUSTR_CLAUDE_BIN: claude };
      const bin = join(modules, ".bin", "clustr-ai");
      const child = spawn(bin, ["--port", "0", "--data-dir", dataDir, "--no-open", cwd], { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
      server = child;
      child.stdout?.setEncoding("utf8").on("data", (d: string) => (output += d));
      child.stderr?.setEncoding("utf8").on("data", (d: string) => (output += d));
      const diagnose = (error: unknown) =>
        new Error(`${(error as Error).message}\n--- clustr-ai output ---\n${output}\n--- model requests ---\n${model?.requests.map((r) => `${r.method} ${r.path} ${r.kind}`).join("\n")}`, {
          cause: error,
        });

      try {
        const info: ServerInfo = await waitFor(
          () => {
            if (child.exitCode !== null) throw new Error(`clustr-ai exited with ${child.exitCode}`);
            const file = join(dataDir, "server.json");
            return existsSync(file) ? ServerInfoSchema.parse(JSON.parse(readFileSync(file, "utf8"))) : undefined;
          },
          { timeoutMs: 30_000, intervalMs: 100, what: "server.json" },
        );
        expect(info.pid).toBe(child.pid);
        const auth = { authorization: `Bearer ${info.token}` };
        const headers = { ...auth, "content-type": "application/json" };

        const health = HealthResponseSchema.parse(await (await fetch(`${info.url}/api/health`)).json());
        expect(health.version).toBe(JSON.parse(readFileSync(join(modules, "clustr-ai", "package.json"), "utf8")).version);

        // `/` is the shipped dashboard build, not the placeholder page of a copy without one.
        const page = await fetch(`${info.url}/`, { headers: auth });
        expect(page.status).toBe(200);
        const html = await page.text();
        expect(html).toContain("/_app/immutable/");
        expect(html).not.toContain("has no dashboard build");

        const created = await fetch(`${info.url}/api/agents`, { method: "POST", headers, body: JSON.stringify({ name: "packed", kind: "claude", task: TASK, cwd }) });
        expect(created.status).toBe(201);
        const { agent } = AgentResponseSchema.parse(await created.json());
        expect(agent.status).toBe("starting");

        // `running` needs the bridge's tools-ready report; the scripted model then calls list_agents
        // through that bridge and gets this agent back from the installed server.
        const running = await waitFor(
          async () => {
            const { agent: now } = AgentResponseSchema.parse(await (await fetch(`${info.url}/api/agents/${agent.id}`, { headers: auth })).json());
            if (now.status === "failed" || now.status === "done" || now.status === "killed") throw new Error(`the agent ended: ${JSON.stringify(now)}`);
            return now.status === "running" ? now : undefined;
          },
          { timeoutMs: AGENT_TIMEOUT_MS, intervalMs: 250, what: "the agent to be running" },
        );
        const m = model;
        const last = await waitFor(() => m.turns().find((r) => r.view?.toolResults.some((t) => t.output.includes(agent.id)) && r.action?.kind === "text"), {
          timeoutMs: AGENT_TIMEOUT_MS,
          intervalMs: 250,
          what: "the list_agents result reaching the model",
        });
        expect(last.action).toEqual({ kind: "text", text: DONE_TEXT });
        expect(m.turns()[0]?.view?.userTexts[0]).toBe(TASK);

        // The bridge that ran is the installed one, started by absolute path, not the workspace's.
        const bridges = processesWithEnv("CLUSTR_AGENT_ID", agent.id).filter((p) => p.argv.some((a) => a.endsWith("clustr-bridge.js")));
        expect(bridges.length, JSON.stringify(processesWithEnv("CLUSTR_AGENT_ID", agent.id))).toBe(1);
        const bridge = bridges[0]!;
        expect(bridge.argv).toContain(join(modules, "@clustr", "bridge", "bin", "clustr-bridge.js"));
        expect(bridge.argv.join(" ")).not.toContain(WORKSPACE);

        await stopAgent(info, auth, running);
        await waitFor(() => !isAlive(bridge.pid), { timeoutMs: 15_000, what: "the bridge to end with its agent" });
      } catch (error) {
        throw diagnose(error);
      }

      child.kill("SIGTERM");
      const exit = await waitForExit(child);
      expect(exit, output).toEqual({ code: 0, signal: null });
      expect(existsSync(join(dataDir, "server.json"))).toBe(false);
    });
  });
});

async function stopAgent(info: ServerInfo, headers: Record<string, string>, agent: Agent): Promise<void> {
  const res = await fetch(`${info.url}/api/agents/${agent.id}/kill`, { method: "POST", headers });
  expect(res.status).toBeLessThan(300);
  await waitFor(
    async () => {
      const { agent: now } = AgentResponseSchema.parse(await (await fetch(`${info.url}/api/agents/${agent.id}`, { headers })).json());
      return now.status === "killed" || now.status === "done" ? now : undefined;
    },
    { timeoutMs: 15_000, intervalMs: 100, what: "the agent to end" },
  );
}
