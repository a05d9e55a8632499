import { chmodSync, lstatSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync, existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { makeTempDir, spawnNode, waitFor, waitForExit, type TempDir } from "@clustr/test-utils";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isClustrError } from "@clustr/protocol";
import { claudeConfigPath, trustClaudeFolder } from "../src/index.js";

let tmp: TempDir;
const FOLDER = "/home/me/projects/my.app";

beforeEach(async () => {
  tmp = await makeTempDir("clustr-trust-");
});

afterEach(async () => {
  await tmp.cleanup();
});

const readJson = (path: string): unknown => JSON.parse(readFileSync(path, "utf8"));

describe("claudeConfigPath", () => {
  it("uses $CLAUDE_CONFIG_DIR/.claude.json, else ~/.claude.json", () => {
    expect(claudeConfigPath({ CLAUDE_CONFIG_DIR: "/cfg", HOME: "/home/me" })).toBe("/cfg/.claude.json");
    expect(claudeConfigPath({ HOME: "/home/me" })).toBe("/home/me/.claude.json");
  });
});

describe("trustClaudeFolder", () => {
  it("adds only the trust key, keeping every other key", async () => {
    const config = join(tmp.path, ".claude.json");
    const before = {
      numStartups: 12,
      hasCompletedOnboarding: true,
      customApiKeyResponses: { approved: ["abc"], rejected: [] },
      projects: {
        "/elsewhere": { allowedTools: ["Bash(ls)"], hasTrustDialogAccepted: false },
        [FOLDER]: { allowedTools: ["Read"], lastCost: 0.5 },
      },
    };
    writeFileSync(config, JSON.stringify(before), { mode: 0o600 });
    const result = await trustClaudeFolder(config, FOLDER, { settleMs: 20 });
    expect(result).toEqual({ file: config, changed: true, writes: 1 });
    expect(readJson(config)).toEqual({
      ...before,
      projects: { ...before.projects, [FOLDER]: { allowedTools: ["Read"], lastCost: 0.5, hasTrustDialogAccepted: true } },
    });
    expect(statSync(config).mode & 0o777).toBe(0o600);
    // No temporary file is left beside it.
    expect(readdirSync(tmp.path)).toEqual([".claude.json"]);
  });

  it("writes through a symlink to its target and keeps the link", async () => {
    const dotfiles = join(tmp.path, "dotfiles");
    mkdirSync(dotfiles);
    const target = join(dotfiles, "claude.json");
    writeFileSync(target, JSON.stringify({ theme: "dark" }));
    chmodSync(target, 0o644);
    const link = join(tmp.path, ".claude.json");
    symlinkSync("dotfiles/claude.json", link);
    const result = await trustClaudeFolder(link, FOLDER, { settleMs: 20 });
    expect(result.file).toBe(target);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readJson(target)).toEqual({ theme: "dark", projects: { [FOLDER]: { hasTrustDialogAccepted: true } } });
    expect(statSync(target).mode & 0o777).toBe(0o644);
  });

  it("creates the file (and its folder) when it does not exist, also behind a dangling link", async () => {
    const config = join(tmp.path, "new-config-dir", ".claude.json");
    await trustClaudeFolder(config, FOLDER, { settleMs: 20 });
    expect(readJson(config)).toEqual({ projects: { [FOLDER]: { hasTrustDialogAccepted: true } } });
    const link = join(tmp.path, "dangling.json");
    symlinkSync(join(tmp.path, "real.json"), link);
    await trustClaudeFolder(link, FOLDER, { settleMs: 20 });
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readJson(join(tmp.path, "real.json"))).toEqual({ projects: { [FOLDER]: { hasTrustDialogAccepted: true } } });
  });

  it("leaves a file that trusts the folder already untouched", async () => {
    const config = join(tmp.path, ".claude.json");
    const text = `{"projects":{"${FOLDER}":{"hasTrustDialogAccepted":true}},"x":1}`;
    writeFileSync(config, text);
    const mtime = statSync(config).mtimeMs;
    expect(await trustClaudeFolder(config, FOLDER, { settleMs: 20 })).toEqual({ file: config, changed: false, writes: 0 });
    expect(readFileSync(config, "utf8")).toBe(text);
    expect(statSync(config).mtimeMs).toBe(mtime);
  });

  it("refuses invalid JSON with a clear error and leaves it untouched", async () => {
    const config = join(tmp.path, ".claude.json");
    writeFileSync(config, '{"projects": {');
    const error = await trustClaudeFolder(config, FOLDER, { attempts: 2, settleMs: 10 }).catch((e: unknown) => e);
    expect(isClustrError(error) && error.code).toBe("conflict");
    expect((error as Error).message).toMatch(/not valid JSON/);
    expect(readFileSync(config, "utf8")).toBe('{"projects": {');
    expect(readdirSync(tmp.path)).toEqual([".claude.json"]);
  });

  it("writes again when a running session rewrites the file from its stale copy", async () => {
    const config = join(tmp.path, ".claude.json");
    writeFileSync(config, JSON.stringify({ numStartups: 1 }));
    const ready = join(tmp.path, "ready");
    // A stand-in for a running Claude session: it holds the config as it was when it started
    // and saves that copy (plus its own change) each time it notices the file changed — twice.
    const script = `
      const fs = require("node:fs");
      const [file, ready] = process.argv.slice(2);
      const stale = JSON.parse(fs.readFileSync(file, "utf8"));
      let saves = 0;
      fs.writeFileSync(ready, "");
      const timer = setInterval(() => {
        let text;
        try { text = fs.readFileSync(file, "utf8"); } catch { return; }
        if (!text.includes("hasTrustDialogAccepted")) return;
        saves++;
        fs.writeFileSync(file, JSON.stringify({ ...stale, sessionSaves: saves }));
        if (saves === 2) { clearInterval(timer); process.exit(0); }
      }, 5);
    `;
    writeFileSync(join(tmp.path, "session.cjs"), script);
    const rewriter = spawnNode(join(tmp.path, "session.cjs"), [config, ready]);
    await waitFor(() => existsSync(ready), { what: "the session stand-in to start" });
    const result = await trustClaudeFolder(config, FOLDER, { attempts: 8, settleMs: 500 });
    expect(await waitForExit(rewriter.child)).toEqual({ code: 0, signal: null });
    expect(result.changed).toBe(true);
    expect(result.writes).toBe(3);
    expect(readJson(config)).toEqual({ numStartups: 1, sessionSaves: 2, projects: { [FOLDER]: { hasTrustDialogAccepted: true } } });
  });

  it("gives up with a clear error when the key keeps disappearing", async () => {
    const config = join(tmp.path, ".claude.json");
    writeFileSync(config, "{}");
    const script = `
      const fs = require("node:fs");
      const [file, ready] = process.argv.slice(2);
      fs.writeFileSync(ready, "");
      setInterval(() => {
        try { if (fs.readFileSync(file, "utf8").includes("hasTrustDialogAccepted")) fs.writeFileSync(file, "{}"); } catch {}
      }, 5);
    `;
    writeFileSync(join(tmp.path, "session.cjs"), script);
    const ready = join(tmp.path, "ready");
    const rewriter = spawnNode(join(tmp.path, "session.cjs"), [config, ready]);
    try {
      await waitFor(() => existsSync(ready), { what: "the session stand-in to start" });
      const error = await trustClaudeFolder(config, FOLDER, { attempts: 3, settleMs: 300 }).catch((e: unknown) => e);
      expect(isClustrError(error) && error.code).toBe("conflict");
      expect((error as Error).message).toMatch(/kept being rewritten/);
    } finally {
      rewriter.child.kill();
      await waitForExit(rewriter.child);
    }
  });
});
