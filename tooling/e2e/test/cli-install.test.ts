import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { makeTempDir, type TempDir } from "@clustr/test-utils";
import { cliBinPath, cliPrefix, E2E_CLIS, e2eCli, installCli, installCommand, installedVersion, requireCli, type E2eCliId } from "../src/index.js";

describe("CLI cache layout", () => {
  const saved = process.env["CLUSTR_E2E_CACHE"];
  let dir: TempDir | undefined;
  afterEach(async () => {
    if (saved === undefined) delete process.env["CLUSTR_E2E_CACHE"];
    else process.env["CLUSTR_E2E_CACHE"] = saved;
    await dir?.cleanup();
    dir = undefined;
  });

  it("puts each version under its own prefix in $CLUSTR_E2E_CACHE", async () => {
    dir = await makeTempDir();
    process.env["CLUSTR_E2E_CACHE"] = dir.path;
    expect(cliPrefix("claude-2.1.197")).toBe(join(dir.path, "claude-code-2.1.197"));
    expect(cliPrefix("claude-2.1.330")).toBe(join(dir.path, "claude-code-2.1.330"));
    expect(cliBinPath("codex-0.169.0")).toBe(join(dir.path, "codex-0.169.0", "node_modules", ".bin", "codex"));
    expect(installCommand("claude-2.1.330")).toBe(
      `npm i --prefix ${join(dir.path, "claude-code-2.1.330")} --no-save --no-audit --no-fund @anthropic-ai/claude-code@2.1.330`,
    );
  });

  it("fails a missing CLI with cli_not_found and the install command, touching nothing", async () => {
    dir = await makeTempDir();
    process.env["CLUSTR_E2E_CACHE"] = dir.path;
    await expect(installedVersion("codex-0.169.0")).resolves.toBeUndefined();
    await expect(requireCli("codex-0.169.0")).rejects.toMatchObject({
      name: "ClustrError",
      code: "cli_not_found",
      message: expect.stringContaining("install-clis.mjs"),
      hint: installCommand("codex-0.169.0"),
    });
    expect(readdirSync(dir.path)).toEqual([]);
  });

  it("waits for another install of the same version, then finds it done instead of running npm", async () => {
    dir = await makeTempDir();
    process.env["CLUSTR_E2E_CACHE"] = dir.path;
    // A stand-in bin that answers its version only once the "other install" is done.
    const binDir = join(cliPrefix("codex-0.169.0"), "node_modules", ".bin");
    mkdirSync(binDir, { recursive: true });
    writeFileSync(join(binDir, "codex"), '#!/bin/sh\n[ -f "$(dirname "$0")/ready" ] && echo "codex-cli 0.169.0"\n', { mode: 0o755 });
    const lock = `${cliPrefix("codex-0.169.0")}.lock`;
    mkdirSync(lock);
    writeFileSync(join(lock, "pid"), String(process.pid));

    const install = installCli("codex-0.169.0");
    await new Promise((r) => setTimeout(r, 1500));
    expect(existsSync(lock)).toBe(true);
    writeFileSync(join(binDir, "ready"), "");
    rmSync(lock, { recursive: true });
    await expect(install).resolves.toEqual({ bin: cliBinPath("codex-0.169.0"), installed: false });
    expect(existsSync(lock)).toBe(false);
  });

  it("takes over a lock whose owner is gone", async () => {
    dir = await makeTempDir();
    process.env["CLUSTR_E2E_CACHE"] = dir.path;
    const binDir = join(cliPrefix("codex-0.169.0"), "node_modules", ".bin");
    mkdirSync(binDir, { recursive: true });
    // Answers the version from the second call on: the first check (before the lock) fails.
    writeFileSync(
      join(binDir, "codex"),
      '#!/bin/sh\nif [ -f "$(dirname "$0")/seen" ]; then echo "codex-cli 0.169.0"; else touch "$(dirname "$0")/seen"; fi\n',
      { mode: 0o755 },
    );
    const lock = `${cliPrefix("codex-0.169.0")}.lock`;
    mkdirSync(lock);
    const dead = spawnSync("true").pid as number;
    writeFileSync(join(lock, "pid"), String(dead));
    await expect(installCli("codex-0.169.0")).resolves.toEqual({ bin: cliBinPath("codex-0.169.0"), installed: false });
    expect(existsSync(lock)).toBe(false);
  });

  it("refuses an unknown CLI id", () => {
    expect(() => e2eCli("claude-9.9.9" as E2eCliId)).toThrow(expect.objectContaining({ code: "bad_request" }));
  });
});

// The real installs (global setup runs them before this file when the network is there).
describe.each(E2E_CLIS.map((c) => c.id))("installed %s", (id) => {
  it("answers --version with its pinned version, and installing again is a no-op", async () => {
    const bin = await requireCli(id);
    expect(existsSync(bin)).toBe(true);
    await expect(installedVersion(id)).resolves.toBe(e2eCli(id).version);
    await expect(installCli(id)).resolves.toEqual({ bin, installed: false });
  });
});
