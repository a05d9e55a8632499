import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ClustrError, type ServerInfo } from "@clustr/protocol";
import { makeTempDir, waitFor, type TempDir } from "@clustr/test-utils";
import {
  BIND_ADDRESS,
  browserCommand,
  claimServerInfo,
  DEFAULT_MAX_AGENTS,
  DEFAULT_PORT,
  openBrowser,
  parseCommandLine,
  readServerInfo,
  releaseServerInfo,
  shouldOpenBrowser,
  startServer,
} from "../src/index.js";

const temps: TempDir[] = [];
afterEach(async () => {
  for (const t of temps.splice(0)) await t.cleanup();
});
async function tempDir(): Promise<string> {
  const t = await makeTempDir("clustr-launch-");
  temps.push(t);
  return t.path;
}

describe("parseCommandLine", () => {
  it("fills in the defaults", async () => {
    const cwd = await tempDir();
    const command = parseCommandLine([], {}, cwd);
    expect(command).toEqual({
      kind: "serve",
      config: { projectDir: cwd, dataDir: join(homedir(), ".clustr"), port: DEFAULT_PORT, host: BIND_ADDRESS, maxAgents: DEFAULT_MAX_AGENTS, open: true },
    });
  });

  it("reads every flag, resolving folders against the current folder", async () => {
    const cwd = await tempDir();
    const command = parseCommandLine([".", "--port", "0", "--host", "localhost", "--data-dir", "d", "--max-agents", "50", "--no-open"], {}, cwd);
    expect(command).toEqual({
      kind: "serve",
      config: { projectDir: cwd, dataDir: join(cwd, "d"), port: 0, host: "127.0.0.1", maxAgents: 50, open: false },
    });
  });

  it("prefers --data-dir over CLUSTR_HOME and --max-agents over CLUSTR_MAX_AGENTS", async () => {
    const cwd = await tempDir();
    const env = { CLUSTR_HOME: "/elsewhere", CLUSTR_MAX_AGENTS: "7" };
    const fromEnv = parseCommandLine([], env, cwd);
    expect(fromEnv.kind === "serve" && fromEnv.config).toMatchObject({ dataDir: "/elsewhere", maxAgents: 7 });
    const fromFlags = parseCommandLine(["--data-dir", "/x", "--max-agents", "3"], env, cwd);
    expect(fromFlags.kind === "serve" && fromFlags.config).toMatchObject({ dataDir: "/x", maxAgents: 3 });
  });

  it("answers help and version before checking anything else", () => {
    expect(parseCommandLine(["--help", "--port", "nope"], {}, "/nonexistent")).toEqual({ kind: "help" });
    expect(parseCommandLine(["-v"], {}, "/nonexistent")).toEqual({ kind: "version" });
  });

  it.each([["::1"], ["[::1]"], ["127.0.0.2"], ["example.com"], ["0.0.0.0"]])("refuses --host %s as a bad_request", async (host) => {
    const cwd = await tempDir();
    expect(() => parseCommandLine(["--host", host], {}, cwd)).toThrow(ClustrError);
    try {
      parseCommandLine(["--host", host], {}, cwd);
    } catch (error) {
      expect((error as ClustrError).code).toBe("bad_request");
      expect((error as ClustrError).message).toContain(host);
    }
  });
});

describe("browser", () => {
  it("opens only when asked, not with BROWSER=none, and only on a terminal", () => {
    expect(shouldOpenBrowser(true, {}, true)).toBe(true);
    expect(shouldOpenBrowser(false, {}, true)).toBe(false);
    expect(shouldOpenBrowser(true, { BROWSER: "none" }, true)).toBe(false);
    expect(shouldOpenBrowser(true, {}, false)).toBe(false);
  });

  it("uses the platform's opener, or $BROWSER with its %s", () => {
    const url = "http://127.0.0.1:1/?token=t";
    expect(browserCommand(url, {}, "linux")).toEqual({ command: "xdg-open", args: [url] });
    expect(browserCommand(url, {}, "darwin")).toEqual({ command: "open", args: [url] });
    expect(browserCommand(url, {}, "win32")).toEqual({ command: "cmd", args: ["/c", "start", "", url] });
    expect(browserCommand(url, { BROWSER: "firefox" }, "linux")).toEqual({ command: "firefox", args: [url] });
    expect(browserCommand(url, { BROWSER: "w3m -o x %s:lynx" }, "linux")).toEqual({ command: "w3m", args: ["-o", "x", url] });
  });

  it("runs $BROWSER with the URL", async () => {
    const dir = await tempDir();
    const script = join(dir, "browser.cjs");
    const record = join(dir, "opened.txt");
    writeFileSync(script, `require("fs").writeFileSync(${JSON.stringify(record)}, process.argv[2]);`);
    const url = "http://127.0.0.1:1234/?token=abc";
    expect(await openBrowser(url, { ...process.env, BROWSER: `${process.execPath} ${script}` })).toBeNull();
    expect(await waitFor(() => existsSync(record) && readFileSync(record, "utf8"), { what: "the browser stand-in" })).toBe(url);
  });

  it("reports an opener that cannot run", async () => {
    const problem = await openBrowser("http://127.0.0.1:1/", { ...process.env, BROWSER: "/nonexistent/browser" });
    expect(problem).toContain("/nonexistent/browser");
  });
});

describe("server.json", () => {
  const info = (pid: number, token: string): ServerInfo => ({ pid, port: 4321, url: "http://127.0.0.1:4321", token: token.repeat(30) });

  it("refuses a claim while the running server's file is in place", async () => {
    const dataDir = await tempDir();
    const running = await startServer({ projectDir: dataDir, dataDir, port: 0, host: BIND_ADDRESS, maxAgents: 1, open: false }, { dashboardDir: null });
    try {
      // The running server's file is in place: a claim from another pid must fail and name it.
      const path = join(dataDir, "server.json");
      await expect(claimServerInfo(path, dataDir, info(process.pid, "b"))).rejects.toMatchObject({ code: "data_dir_locked" });
      expect(readServerInfo(path)).toEqual({ kind: "present", info: running.info });
      expect(statSync(path).mode & 0o777).toBe(0o600);
    } finally {
      await running.close();
    }
    expect(readServerInfo(join(dataDir, "server.json"))).toEqual({ kind: "missing" });
  });

  it("replaces an unreadable file and releases only its own", async () => {
    const dataDir = await tempDir();
    const path = join(dataDir, "server.json");
    writeFileSync(path, "{half a fi");
    expect(readServerInfo(path).kind).toBe("unreadable");
    await claimServerInfo(path, dataDir, info(process.pid, "a"));
    expect(readServerInfo(path)).toEqual({ kind: "present", info: info(process.pid, "a") });
    releaseServerInfo(path, "b".repeat(30));
    expect(existsSync(path)).toBe(true);
    releaseServerInfo(path, "a".repeat(30));
    expect(existsSync(path)).toBe(false);
  });
});

describe("startServer", () => {
  it("lets exactly one of two servers starting together take the data folder", async () => {
    const dataDir = await tempDir();
    const config = { projectDir: dataDir, dataDir, port: 0, host: BIND_ADDRESS, maxAgents: 1, open: false } as const;
    const results = await Promise.allSettled([startServer(config, { dashboardDir: null }), startServer(config, { dashboardDir: null })]);
    const won = results.filter((r) => r.status === "fulfilled");
    const lost = results.filter((r) => r.status === "rejected");
    try {
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(1);
      expect(lost[0]?.reason).toMatchObject({ code: "data_dir_locked" });
      expect(readServerInfo(join(dataDir, "server.json"))).toEqual({ kind: "present", info: won[0]?.value.info });
    } finally {
      for (const r of won) await r.value.close();
    }
  });

  it("takes over a server.json whose pid and port now belong to another Clustr server", async () => {
    const otherDir = await tempDir();
    const dataDir = await tempDir();
    const other = await startServer({ projectDir: otherDir, dataDir: otherDir, port: 0, host: BIND_ADDRESS, maxAgents: 1, open: false }, { dashboardDir: null });
    try {
      // As if this folder's server had died and both its pid and port had been reused.
      const stale: ServerInfo = { ...other.info, token: "s".repeat(43) };
      writeFileSync(join(dataDir, "server.json"), JSON.stringify(stale), { mode: 0o600 });
      const config = { projectDir: dataDir, dataDir, port: 0, host: BIND_ADDRESS, maxAgents: 1, open: false } as const;
      const started = await startServer(config, { dashboardDir: null });
      expect(started.info.token).not.toBe(stale.token);
      await started.close();
      expect(readServerInfo(join(otherDir, "server.json"))).toEqual({ kind: "present", info: other.info });
    } finally {
      await other.close();
    }
  });

  it("refuses a data folder held by a running server without binding a port", async () => {
    const dataDir = await tempDir();
    const config = { projectDir: dataDir, dataDir, port: 0, host: BIND_ADDRESS, maxAgents: 1, open: false } as const;
    const first = await startServer(config, { dashboardDir: null });
    try {
      await expect(startServer(config, { dashboardDir: null })).rejects.toMatchObject({ code: "data_dir_locked", message: expect.stringContaining(first.info.url) });
    } finally {
      expect(await first.close()).toBe(true);
    }
    // A second close is harmless.
    expect(await first.close()).toBe(true);
  });
});
