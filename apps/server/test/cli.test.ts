import { spawn } from "node:child_process";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { createServer as createHttpServer } from "node:http";
import { connect, createServer, type Server } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { ServerInfoSchema, type ServerInfo } from "@clustr/protocol";
import { isAlive, makeTempDir, spawnNode, waitFor, waitForExit, type TempDir } from "@clustr/test-utils";
import { VERSION } from "../src/index.js";

// These run the real, built launcher (bin -> dist), as `npx clustr-ai` would.
const BIN = fileURLToPath(new URL("../bin/clustr-ai.js", import.meta.url));
const TIMEOUT = 30_000;

const temps: TempDir[] = [];
const children: ReturnType<typeof spawnNode>[] = [];
const blockers: Server[] = [];

afterEach(async () => {
  for (const c of children.splice(0)) {
    if (c.child.exitCode === null && c.child.signalCode === null) {
      c.child.kill("SIGKILL");
      await waitForExit(c.child);
    }
  }
  for (const b of blockers.splice(0)) await new Promise((r) => b.close(r));
  for (const t of temps.splice(0)) await t.cleanup();
});

async function tempDir(): Promise<string> {
  const t = await makeTempDir("clustr-cli-");
  temps.push(t);
  return t.path;
}

function run(args: string[], env: NodeJS.ProcessEnv = {}, cwd?: string) {
  const envWithout = { ...process.env };
  delete envWithout.CLUSTR_HOME;
  delete envWithout.CLUSTR_MAX_AGENTS;
  const started = spawnNode(BIN, args, { env: { ...envWithout, BROWSER: "none", ...env }, ...(cwd ? { cwd } : {}) });
  children.push(started);
  return started;
}

async function waitForServerInfo(dataDir: string, child: ReturnType<typeof spawnNode>): Promise<ServerInfo> {
  const path = join(dataDir, "server.json");
  return waitFor(
    () => {
      if (child.child.exitCode !== null) throw new Error(`server exited early: ${child.stderr()}`);
      if (!existsSync(path)) return undefined;
      return ServerInfoSchema.parse(JSON.parse(readFileSync(path, "utf8")));
    },
    { timeoutMs: 20_000, what: "server.json" },
  );
}

async function runToExit(args: string[], env: NodeJS.ProcessEnv = {}) {
  const started = run(args, env);
  const { code } = await waitForExit(started.child);
  return { code, stdout: started.stdout(), stderr: started.stderr() };
}

describe("clustr-ai", () => {
  it(
    "starts, writes server.json 0600, answers health, and on SIGTERM removes server.json and exits 0",
    async () => {
      const dataDir = join(await tempDir(), "data");
      const server = run(["--port", "0", "--data-dir", dataDir, "--no-open"]);
      const info = await waitForServerInfo(dataDir, server);

      expect(info.pid).toBe(server.child.pid);
      expect(info.url).toBe(`http://127.0.0.1:${info.port}`);
      expect(Buffer.from(info.token, "base64url").length).toBeGreaterThanOrEqual(16);
      expect(statSync(join(dataDir, "server.json")).mode & 0o777).toBe(0o600);
      expect(statSync(dataDir).mode & 0o777).toBe(0o700);

      const health = await fetch(`${info.url}/api/health`);
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ ok: true, version: VERSION });
      const guarded = await fetch(`${info.url}/`);
      expect(guarded.status).toBe(401);
      const page = await fetch(`${info.url}/`, { headers: { authorization: `Bearer ${info.token}` } });
      expect(page.status).toBe(200);
      // The build ships the dashboard in dist when one was built; otherwise the placeholder shows.
      const shipped = fileURLToPath(new URL("../dist/dashboard/index.html", import.meta.url));
      const checkout = fileURLToPath(new URL("../../dashboard/build/index.html", import.meta.url));
      const dashboard = [shipped, checkout].find((f) => existsSync(f));
      expect(await page.text()).toEqual(dashboard ? readFileSync(dashboard, "utf8") : expect.stringContaining("Clustr is running"));

      await waitFor(() => server.stdout().includes("Ctrl+C"), { what: "the start message" });
      const out = server.stdout();
      expect(out).toContain(`${info.url}/?token=${info.token}`);
      expect(out.split(info.token).length - 1).toBe(1);
      expect(server.stderr()).not.toContain(info.token);

      server.child.kill("SIGTERM");
      const exit = await waitForExit(server.child);
      expect(exit.code).toBe(0);
      expect(existsSync(join(dataDir, "server.json"))).toBe(false);
      await expect(fetch(`${info.url}/api/health`)).rejects.toThrow();
    },
    TIMEOUT,
  );

  it(
    "shuts down promptly with a client connection left hanging",
    async () => {
      const dataDir = await tempDir();
      const server = run(["--port", "0", "--data-dir", dataDir]);
      const info = await waitForServerInfo(dataDir, server);
      // A keep-alive client and one that never finishes its request: neither may hold shutdown.
      const idle = connect({ host: "127.0.0.1", port: info.port });
      idle.write(`GET /api/health HTTP/1.1\r\nHost: 127.0.0.1:${info.port}\r\nConnection: keep-alive\r\n\r\n`);
      const stuck = connect({ host: "127.0.0.1", port: info.port });
      stuck.write(`POST /api/health HTTP/1.1\r\nHost: 127.0.0.1:${info.port}\r\n`);
      const closed = Promise.all(
        [idle, stuck].map((s) => {
          s.on("error", () => {});
          // Read what arrives, or a paused socket never sees its end.
          s.resume();
          return new Promise((r) => s.on("close", r));
        }),
      );
      await new Promise((r) => setTimeout(r, 300));

      server.child.kill("SIGTERM");
      expect((await waitForExit(server.child)).code).toBe(0);
      await closed;
      expect(server.stderr()).not.toContain("did not close in time");
      expect(existsSync(join(dataDir, "server.json"))).toBe(false);
    },
    TIMEOUT,
  );

  it(
    "stops cleanly on SIGHUP, as when its terminal closes",
    async () => {
      const dataDir = await tempDir();
      const server = run(["--port", "0", "--data-dir", dataDir]);
      await waitForServerInfo(dataDir, server);
      server.child.kill("SIGHUP");
      expect((await waitForExit(server.child)).code).toBe(0);
      expect(existsSync(join(dataDir, "server.json"))).toBe(false);
    },
    TIMEOUT,
  );

  it(
    "stops cleanly on a signal that arrives while it is still starting",
    async () => {
      const dataDir = join(await tempDir(), "data");
      const server = run(["--port", "0", "--data-dir", dataDir]);
      // The data folder appears early in startup, before the port or server.json.
      await waitFor(() => existsSync(dataDir), { intervalMs: 2, what: "the data folder" });
      server.child.kill("SIGTERM");
      expect((await waitForExit(server.child)).code).toBe(0);
      expect(existsSync(join(dataDir, "server.json"))).toBe(false);
    },
    TIMEOUT,
  );

  it(
    "makes a new token at each start and stops on SIGINT too",
    async () => {
      const dataDir = await tempDir();
      const tokens: string[] = [];
      for (let i = 0; i < 2; i++) {
        const server = run(["--port", "0", "--data-dir", dataDir]);
        tokens.push((await waitForServerInfo(dataDir, server)).token);
        server.child.kill("SIGINT");
        expect((await waitForExit(server.child)).code).toBe(0);
        expect(existsSync(join(dataDir, "server.json"))).toBe(false);
      }
      expect(tokens[0]).not.toBe(tokens[1]);
    },
    TIMEOUT,
  );

  it(
    "refuses a second server on the same data folder and names the first",
    async () => {
      const dataDir = await tempDir();
      const first = run(["--port", "0", "--data-dir", dataDir]);
      const info = await waitForServerInfo(dataDir, first);

      const second = await runToExit(["--port", "0", "--data-dir", dataDir]);
      expect(second.code).toBe(1);
      expect(second.stderr).toContain(info.url);
      expect(second.stderr).toContain(`pid ${info.pid}`);
      expect(second.stderr).not.toContain(info.token);

      // The first one is untouched.
      expect(ServerInfoSchema.parse(JSON.parse(readFileSync(join(dataDir, "server.json"), "utf8")))).toEqual(info);
      expect((await fetch(`${info.url}/api/health`)).status).toBe(200);
    },
    TIMEOUT,
  );

  it(
    "takes over a server.json left by a server that was killed with SIGKILL",
    async () => {
      const dataDir = await tempDir();
      const crashed = run(["--port", "0", "--data-dir", dataDir]);
      const old = await waitForServerInfo(dataDir, crashed);
      crashed.child.kill("SIGKILL");
      await waitForExit(crashed.child);
      expect(existsSync(join(dataDir, "server.json"))).toBe(true);

      const next = run(["--port", "0", "--data-dir", dataDir]);
      const info = await waitFor(
        async () => {
          const current = await waitForServerInfo(dataDir, next);
          return current.token !== old.token ? current : undefined;
        },
        { timeoutMs: 20_000, what: "the new server.json" },
      );
      expect(info.pid).toBe(next.child.pid);
    },
    TIMEOUT,
  );

  it(
    "takes over a server.json whose pid is alive but is not a Clustr server",
    async () => {
      const dataDir = await tempDir();
      // A live process that is not a Clustr server (this test runner), and at the recorded port
      // a web server that is not one either.
      const stranger = createHttpServer((_req, res) => res.writeHead(404).end("not here"));
      blockers.push(stranger as unknown as Server);
      await new Promise<void>((r) => stranger.listen(0, "127.0.0.1", r));
      const strangerPort = (stranger.address() as { port: number }).port;
      expect(isAlive(process.pid)).toBe(true);
      const stale: ServerInfo = { pid: process.pid, port: strangerPort, url: `http://127.0.0.1:${strangerPort}`, token: "x".repeat(43) };
      writeFileSync(join(dataDir, "server.json"), JSON.stringify(stale), { mode: 0o600 });

      const next = run(["--port", "0", "--data-dir", dataDir]);
      const info = await waitFor(
        async () => {
          const current = await waitForServerInfo(dataDir, next);
          return current.pid === next.child.pid ? current : undefined;
        },
        { timeoutMs: 20_000, what: "the new server.json" },
      );
      expect(info.token).not.toBe(stale.token);
    },
    TIMEOUT,
  );

  it(
    "moves from a busy port to the next free one and says so",
    async () => {
      const dataDir = await tempDir();
      const blocker = createServer();
      blockers.push(blocker);
      await new Promise<void>((r) => blocker.listen(0, "127.0.0.1", r));
      const busy = (blocker.address() as { port: number }).port;

      const server = run(["--port", String(busy), "--data-dir", dataDir]);
      const info = await waitForServerInfo(dataDir, server);
      expect(info.port).toBeGreaterThan(busy);
      await waitFor(() => server.stdout().includes("Ctrl+C"), { what: "the start message" });
      expect(server.stdout()).toContain(`Port ${busy} is busy; using ${info.port}`);
      expect((await fetch(`${info.url}/api/health`)).status).toBe(200);
    },
    TIMEOUT,
  );

  it(
    "uses CLUSTR_HOME as the data folder",
    async () => {
      const home = join(await tempDir(), "home");
      const server = run(["--port", "0"], { CLUSTR_HOME: home });
      const info = await waitForServerInfo(home, server);
      expect(info.pid).toBe(server.child.pid);
    },
    TIMEOUT,
  );

  it.each([
    [["--port", "abc"], 2, "--port must be a whole number"],
    [["--port", "70000"], 2, "--port must be between 0 and 65535"],
    [["--max-agents", "0"], 2, "--max-agents must be between"],
    [["--host", "0.0.0.0"], 2, "loopback only"],
    [["--host", "192.168.1.10"], 2, "loopback only"],
    [["--frobnicate"], 2, "Unknown option '--frobnicate'"],
    [["a", "b"], 2, "at most one folder"],
    [["/nonexistent/clustr/folder"], 1, "does not exist"],
  ])(
    "refuses %j with a readable message, exit %i, and touches nothing",
    async (args, code, message) => {
      const dataDir = join(await tempDir(), "data");
      const result = await runToExit([...args, ...(args.includes("--port") ? [] : ["--port", "0"]), "--data-dir", dataDir]);
      expect(result.code).toBe(code);
      expect(result.stderr).toContain("clustr-ai: ");
      expect(result.stderr).toContain(message);
      expect(result.stderr).not.toContain("    at ");
      expect(existsSync(dataDir)).toBe(false);
    },
    TIMEOUT,
  );

  it("refuses an unknown CLUSTR_LOG_LEVEL before starting", async () => {
    const dataDir = join(await tempDir(), "data");
    const result = await runToExit(["--port", "0", "--data-dir", dataDir], { CLUSTR_LOG_LEVEL: "loud" });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('CLUSTR_LOG_LEVEL must be one of');
    expect(existsSync(dataDir)).toBe(false);
  }, TIMEOUT);

  it("refuses a bad CLUSTR_MAX_AGENTS", async () => {
    const dataDir = join(await tempDir(), "data");
    const result = await runToExit(["--port", "0", "--data-dir", dataDir], { CLUSTR_MAX_AGENTS: "many" });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("CLUSTR_MAX_AGENTS must be a whole number");
  }, TIMEOUT);

  it(
    "opens the browser on the token URL when stdout is a terminal, and not with --no-open",
    async () => {
      // `script` gives the launcher a real pseudo-terminal as stdout; BROWSER records the call.
      const dir = await tempDir();
      const recorder = join(dir, "browser.cjs");
      writeFileSync(recorder, "require('fs').appendFileSync(process.env.OPENED_LOG, process.argv[2] + '\\n');");
      const opened = join(dir, "opened.log");
      const env = { BROWSER: `${process.execPath} ${recorder}`, OPENED_LOG: opened };

      for (const noOpen of [true, false]) {
        const dataDir = join(dir, noOpen ? "quiet" : "open");
        const command = `${process.execPath} ${BIN} --port 0 --data-dir ${dataDir}${noOpen ? " --no-open" : ""}`;
        const tty = spawn("script", ["-qfec", command, "/dev/null"], { env: { ...process.env, ...env }, stdio: "ignore" });
        const info = await waitFor(() => existsSync(join(dataDir, "server.json")) && ServerInfoSchema.parse(JSON.parse(readFileSync(join(dataDir, "server.json"), "utf8"))), {
          timeoutMs: 20_000,
          what: "server.json",
        });
        if (!noOpen) {
          const line = await waitFor(() => existsSync(opened) && readFileSync(opened, "utf8"), { what: "the browser call" });
          expect(line).toBe(`${info.url}/?token=${info.token}\n`);
        } else {
          // Give a wrongly started browser the time to show up before looking.
          await new Promise((r) => setTimeout(r, 1000));
          expect(existsSync(opened)).toBe(false);
        }
        process.kill(info.pid, "SIGTERM");
        await waitFor(() => !isAlive(info.pid), { what: "the server to stop" });
        tty.kill("SIGKILL");
        await waitForExit(tty);
      }
    },
    TIMEOUT,
  );

  it("prints its help and version", async () => {
    const help = await runToExit(["--help"]);
    expect(help.code).toBe(0);
    for (const flag of ["[folder]", "--port", "--host", "--data-dir", "--max-agents", "--no-open", "--help", "--version"]) {
      expect(help.stdout).toContain(flag);
    }
    const version = await runToExit(["--version"]);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toBe(VERSION);
  }, TIMEOUT);
});

