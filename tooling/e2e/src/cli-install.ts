import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { ClustrError } from "@clustr/protocol";

const run = promisify(execFile);

/** The real agent CLIs the end-to-end tests run. */
export type E2eCliId = "claude-2.1.197" | "claude-2.1.330" | "codex-0.169.0";

/** One CLI version: its npm package and the bin it installs. */
export interface E2eCli {
  id: E2eCliId;
  kind: "claude" | "codex";
  pkg: string;
  version: string;
  bin: "claude" | "codex";
}

/** Every CLI version the end-to-end tests cover (both Claude Code versions: their screens differ). */
export const E2E_CLIS: readonly E2eCli[] = [
  { id: "claude-2.1.197", kind: "claude", pkg: "@anthropic-ai/claude-code", version: "2.1.197", bin: "claude" },
  { id: "claude-2.1.330", kind: "claude", pkg: "@anthropic-ai/claude-code", version: "2.1.330", bin: "claude" },
  { id: "codex-0.169.0", kind: "codex", pkg: "@openai/codex", version: "0.169.0", bin: "codex" },
];

/** A `--version` that hangs must not stall a test run: the native binaries answer in well under this. */
const VERSION_TIMEOUT_MS = 60_000;

/** The cache folder: `$CLUSTR_E2E_CACHE`, else `~/.cache/clustr-e2e` (outside the workspace, so `pnpm install` stays light). */
export function e2eCacheDir(): string {
  return process.env["CLUSTR_E2E_CACHE"] || join(homedir(), ".cache", "clustr-e2e");
}

/**
 * Where `pack-install.mjs` records the packed install of the checkout at `workspaceRoot`
 * (absolute, real path): one record per checkout, so that two checkouts sharing the cache
 * never test each other's build.
 */
export function packedInstallRecord(workspaceRoot: string): string {
  const checkout = createHash("sha256").update(workspaceRoot).digest("hex").slice(0, 16);
  return join(e2eCacheDir(), "packed", `current-${checkout}.json`);
}

/** The spec of one CLI version; throws `bad_request` for an unknown id. */
export function e2eCli(id: E2eCliId): E2eCli {
  const cli = E2E_CLIS.find((c) => c.id === id);
  if (!cli) throw new ClustrError("bad_request", `unknown e2e CLI ${String(id)}`, { hint: `one of ${E2E_CLIS.map((c) => c.id).join(", ")}` });
  return cli;
}

/** The npm prefix of one CLI version: `<cache>/<package name without scope>-<version>`. */
export function cliPrefix(id: E2eCliId): string {
  const cli = e2eCli(id);
  return join(e2eCacheDir(), `${cli.pkg.split("/").at(-1) ?? cli.pkg}-${cli.version}`);
}

/** The path of one CLI version's bin (it may not exist yet). */
export function cliBinPath(id: E2eCliId): string {
  return join(cliPrefix(id), "node_modules", ".bin", e2eCli(id).bin);
}

/** The command that installs one CLI version, as a user would type it. */
export function installCommand(id: E2eCliId): string {
  const cli = e2eCli(id);
  return `npm i --prefix ${cliPrefix(id)} --no-save --no-audit --no-fund ${cli.pkg}@${cli.version}`;
}

/** The version the installed bin reports, or undefined when it is missing or does not answer. */
export async function installedVersion(id: E2eCliId): Promise<string | undefined> {
  const bin = cliBinPath(id);
  if (!existsSync(bin)) return undefined;
  try {
    const { stdout } = await run(bin, ["--version"], { timeout: VERSION_TIMEOUT_MS, env: quietEnv() });
    return /\d+\.\d+\.\d+/.exec(stdout)?.[0];
  } catch {
    return undefined;
  }
}

/**
 * Install one CLI version into its prefix with npm, unless its bin already answers `--version`
 * with that version. Throws `spawn_failed` (with the npm output) when npm fails.
 */
export async function installCli(id: E2eCliId, log: (line: string) => void = () => {}): Promise<{ bin: string; installed: boolean }> {
  const cli = e2eCli(id);
  if ((await installedVersion(id)) === cli.version) return { bin: cliBinPath(id), installed: false };
  const prefix = cliPrefix(id);
  await mkdir(prefix, { recursive: true });
  const release = await lockPrefix(prefix);
  try {
    // Another run may have installed it while this one waited for the lock.
    if ((await installedVersion(id)) === cli.version) return { bin: cliBinPath(id), installed: false };
    await npmInstall(id, log);
  } finally {
    await release();
  }
  const version = await installedVersion(id);
  if (version !== cli.version) {
    throw new ClustrError("cli_not_found", `${cli.pkg}@${cli.version} installed, but ${cliBinPath(id)} --version answered ${version ?? "nothing"}`, {
      hint: installCommand(id),
    });
  }
  return { bin: cliBinPath(id), installed: true };
}

async function npmInstall(id: E2eCliId, log: (line: string) => void): Promise<void> {
  const cli = e2eCli(id);
  const prefix = cliPrefix(id);
  log(`installing ${cli.pkg}@${cli.version} into ${prefix}`);
  try {
    await run("npm", ["i", "--prefix", prefix, "--no-save", "--no-audit", "--no-fund", `${cli.pkg}@${cli.version}`], {
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (error) {
    const e = error as Error & { stderr?: string };
    throw new ClustrError("spawn_failed", `npm could not install ${cli.pkg}@${cli.version}: ${e.stderr?.trim() || e.message}`, {
      hint: installCommand(id),
      cause: error,
    });
  }
}

/** How long to wait for another process's install of the same version (a download of hundreds of MB). */
const LOCK_WAIT_MS = 20 * 60_000;

/**
 * Take `<prefix>.lock` (a folder: mkdir is atomic), so test runs started side by side (turbo runs
 * packages in parallel) never run npm into the same prefix at once. A lock whose owner is gone is taken over.
 */
async function lockPrefix(prefix: string): Promise<() => Promise<void>> {
  const lock = `${prefix}.lock`;
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      await mkdir(lock);
      await writeFile(join(lock, "pid"), String(process.pid));
      return () => rm(lock, { recursive: true, force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const owner = Number(await readFile(join(lock, "pid"), "utf8").catch(() => ""));
    if (Number.isInteger(owner) && owner > 0 && !processExists(owner)) {
      await rm(lock, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > deadline) {
      throw new ClustrError("repo_busy", `another install holds ${lock} (pid ${owner || "unknown"})`, { hint: `remove ${lock} if no install is running` });
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Install every CLI version of {@link E2E_CLIS} (one after another: each download is hundreds of MB). */
export async function installClis(ids: readonly E2eCliId[] = E2E_CLIS.map((c) => c.id), log?: (line: string) => void): Promise<Record<E2eCliId, string>> {
  const bins: Partial<Record<E2eCliId, string>> = {};
  for (const id of ids) bins[id] = (await installCli(id, log)).bin;
  return bins as Record<E2eCliId, string>;
}

/**
 * The bin of an installed CLI version, checked with `--version`. A missing one throws
 * `cli_not_found` whose message carries the install command, so the test fails saying how to fix it.
 */
export async function requireCli(id: E2eCliId): Promise<string> {
  const cli = e2eCli(id);
  const version = await installedVersion(id);
  if (version !== cli.version) {
    throw new ClustrError(
      "cli_not_found",
      `${cli.pkg}@${cli.version} is not installed at ${cliBinPath(id)}${version ? ` (found ${version})` : ""}; install it with: ` +
        `node tooling/e2e/install-clis.mjs   (or: ${installCommand(id)})`,
      { hint: installCommand(id) },
    );
  }
  return cliBinPath(id);
}

/** An environment for `--version` that keeps the CLIs from updating or phoning home. */
function quietEnv(): NodeJS.ProcessEnv {
  return { ...process.env, DISABLE_AUTOUPDATER: "1", DISABLE_TELEMETRY: "1", CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1" };
}
