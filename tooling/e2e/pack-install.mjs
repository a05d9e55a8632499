#!/usr/bin/env node
// Packs clustr-ai, @clustr/bridge and their workspace dependencies with `pnpm pack` (exactly
// what a release publishes) and installs the tarballs with npm into an empty folder of the e2e
// cache, so a test can run the installed `clustr-ai` with no workspace behind it.
// It needs the network (npm fetches fastify, better-sqlite3, ...): isolated.sh runs it before
// entering the loopback-only namespace. Nothing changed since the last run (same built files,
// same Node): it only hashes and exits. Any failure exits non-zero with the reason.
// Usage: node tooling/e2e/pack-install.mjs   (after `pnpm build`; prints the install prefix)
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

/** What a user installs; everything else comes along as a dependency. */
const ROOTS = ["clustr-ai", "@clustr/bridge"];
/** Paths each tarball must hold, besides its package.json and its `files`. */
const REQUIRED = {
  "clustr-ai": ["bin/clustr-ai.js", "dist/cli.js", "dist/dashboard/index.html"],
  "@clustr/bridge": ["bin/clustr-bridge.js", "dist/main.js"],
  "@clustr/store": ["drizzle/meta/_journal.json"],
};
/** A live holder of the lock is waited for this long (a first install compiles native modules). */
const LOCK_WAIT_MS = 15 * 60_000;

const here = fileURLToPath(new URL(".", import.meta.url));
const root = join(here, "..", "..");

function fail(message, detail) {
  console.error(`pack-install: ${message}`);
  if (detail) console.error(detail);
  process.exit(1);
}

function log(line) {
  console.error(`pack-install: ${line}`);
}

function run(command, args, opts) {
  const result = spawnSync(command, args, { encoding: "utf8", maxBuffer: 64 * 1024 * 1024, ...opts });
  if (result.error) fail(`${command} ${args.join(" ")}: ${result.error.message}`);
  if (result.status !== 0) {
    fail(`${command} ${args.join(" ")} exited with ${result.status ?? result.signal}`, `${result.stdout ?? ""}${result.stderr ?? ""}`.trim());
  }
  return result.stdout;
}

/** Every workspace package by name. */
function workspacePackages() {
  const byName = new Map();
  for (const group of ["packages", "apps", "tooling"]) {
    const groupDir = join(root, group);
    if (!existsSync(groupDir)) continue;
    for (const entry of readdirSync(groupDir)) {
      const file = join(groupDir, entry, "package.json");
      if (!existsSync(file)) continue;
      const text = readFileSync(file, "utf8");
      const pkg = JSON.parse(text);
      byName.set(pkg.name, { dir: join(groupDir, entry), pkg, text });
    }
  }
  return byName;
}

/** The roots and every workspace package they need at run time (devDependencies are not installed). */
function closure(byName) {
  const seen = new Set();
  const queue = [...ROOTS];
  while (queue.length > 0) {
    const name = queue.shift();
    if (seen.has(name)) continue;
    const found = byName.get(name);
    if (!found) fail(`${name} is not a workspace package`);
    if (found.pkg.private) fail(`${name} is private, so it can never be published, yet a published package depends on it`);
    seen.add(name);
    const { dependencies = {}, optionalDependencies = {}, peerDependencies = {} } = found.pkg;
    for (const [dep, spec] of Object.entries({ ...dependencies, ...optionalDependencies, ...peerDependencies })) {
      if (String(spec).startsWith("workspace:")) queue.push(dep);
    }
  }
  return [...seen].sort();
}

function walk(path, into) {
  if (statSync(path).isDirectory()) {
    for (const entry of readdirSync(path).sort()) walk(join(path, entry), into);
  } else {
    into.push(path);
  }
}

/**
 * A hash of what decides the third-party dependency tree: Node's version (native modules are
 * built for it) and each package's dependency ranges.
 */
function depsFingerprint(byName, names) {
  const hash = createHash("sha256");
  hash.update(`\0${process.version}\0${process.platform}-${process.arch}\0`);
  for (const name of names) {
    const { version, dependencies, optionalDependencies, peerDependencies } = byName.get(name).pkg;
    hash.update(`\0package ${JSON.stringify({ name, version, dependencies, optionalDependencies, peerDependencies })}`);
  }
  return hash.digest("hex");
}

/** A hash of everything that decides the install: the dependency tree, this script, every shipped file. */
function fingerprint(byName, names, deps) {
  const hash = createHash("sha256");
  hash.update(deps);
  hash.update(readFileSync(fileURLToPath(import.meta.url)));
  for (const name of names) {
    const { dir, pkg } = byName.get(name);
    hash.update(`\0package ${name}\0${byName.get(name).text}`);
    const files = [];
    for (const entry of [...(pkg.files ?? []), "README.md", "LICENSE"]) {
      const path = join(dir, entry);
      if (existsSync(path)) walk(path, files);
    }
    for (const file of files) {
      hash.update(`\0${relative(dir, file)}\0`);
      hash.update(readFileSync(file));
    }
  }
  return hash.digest("hex");
}

/** Fail unless every package has what its `files` and REQUIRED promise, built. */
function checkBuilt(byName, names) {
  for (const name of names) {
    const { dir, pkg } = byName.get(name);
    const missing = [...(pkg.files ?? []), ...(REQUIRED[name] ?? [])].filter((p) => !existsSync(join(dir, p)));
    if (missing.length > 0) {
      fail(
        `${name} lacks ${missing.join(", ")} in ${dir}`,
        "  build first: pnpm exec turbo run build --filter=clustr-ai --filter=@clustr/bridge (the dashboard build ships inside clustr-ai)",
      );
    }
  }
}

function tarballName(name, version) {
  return `${name.replace(/^@/, "").replace("/", "-")}-${version}.tgz`;
}

/** Check a tarball as npm will unpack it: its files, and a package.json with real versions only. */
function checkTarball(path, name, pkg) {
  const entries = run("tar", ["tzf", path]).split("\n").filter(Boolean);
  const has = (p) => entries.some((e) => e === `package/${p}` || e.startsWith(`package/${p}/`));
  const missing = ["package.json", ...(pkg.files ?? []), ...(REQUIRED[name] ?? [])].filter((p) => !has(p));
  if (missing.length > 0) fail(`${path} lacks ${missing.join(", ")}`);
  const stray = entries.filter((e) => /^package\/(src|test|tests|bench)\//.test(e) || /\.test\.[cm]?[jt]s$/.test(e));
  if (stray.length > 0) fail(`${path} ships sources or tests: ${stray.slice(0, 5).join(", ")}`);
  const manifest = run("tar", ["xzf", path, "-O", "package/package.json"]);
  // A `workspace:` range left in any field (a description may say "workspace:" in prose).
  if (/"workspace:/.test(manifest)) fail(`${path}: its package.json still uses the workspace protocol`, manifest);
}

function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === "EPERM";
  }
}

let heldLock = null;
// fail() exits at once: the lock goes with the process rather than waiting to be taken over.
process.on("exit", () => {
  if (heldLock !== null) rmSync(heldLock, { recursive: true, force: true });
});

/** One install at a time per cache (parallel test runs); a dead holder's lock is taken over. */
async function withLock(dir, body) {
  const lock = join(dir, "lock");
  const started = Date.now();
  for (;;) {
    try {
      mkdirSync(lock);
      heldLock = lock;
      writeFileSync(join(lock, "pid"), String(process.pid));
      break;
    } catch (error) {
      if (error.code !== "EEXIST") throw error;
      let holder = NaN;
      try {
        holder = Number(readFileSync(join(lock, "pid"), "utf8"));
      } catch {
        // Just created, pid not written yet: wait for it.
      }
      if (Number.isInteger(holder) && !isAlive(holder)) {
        rmSync(lock, { recursive: true, force: true });
        continue;
      }
      if (Date.now() - started > LOCK_WAIT_MS) fail(`${lock} is still held by process ${holder}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    return await body();
  } finally {
    rmSync(lock, { recursive: true, force: true });
    heldLock = null;
  }
}

function readCurrent(file) {
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch {
    return null;
  }
}

function upToDate(current, fp) {
  return current !== null && current.fingerprint === fp && existsSync(join(current.prefix, "node_modules", ".bin", "clustr-ai"));
}

const e2eEntry = join(here, "dist", "index.js");
if (!existsSync(e2eEntry)) fail("build first: pnpm exec turbo run build --filter=@clustr/e2e-tools");
const { e2eCacheDir, packedInstallRecord } = await import(new URL("./dist/index.js", import.meta.url).href);

const byName = workspacePackages();
const names = closure(byName);
checkBuilt(byName, names);
const depsFp = depsFingerprint(byName, names);
const fp = fingerprint(byName, names, depsFp);
const base = join(e2eCacheDir(), "packed");
const currentFile = packedInstallRecord(realpathSync(root));
mkdirSync(base, { recursive: true });

if (!upToDate(readCurrent(currentFile), fp)) {
  await withLock(base, async () => {
    // Another run may have installed the same build while this one waited.
    const previous = readCurrent(currentFile);
    if (upToDate(previous, fp)) return;
    const started = Date.now();
    const work = join(base, fp.slice(0, 16));
    const tarballs = join(work, "tarballs");
    const prefix = join(work, "prefix");
    rmSync(work, { recursive: true, force: true });
    mkdirSync(tarballs, { recursive: true });
    mkdirSync(prefix);

    // Scripts off: prepack would rebuild each package, and the build is done (and hashed) already.
    const filters = names.flatMap((n) => ["--filter", n]);
    run("pnpm", ["-r", ...filters, "pack", "--pack-destination", tarballs, "--config.ignore-scripts=true"], { cwd: root });
    const files = {};
    for (const name of names) {
      const { pkg } = byName.get(name);
      const path = join(tarballs, tarballName(name, pkg.version));
      if (!existsSync(path)) fail(`pnpm pack made no ${path}`);
      checkTarball(path, name, pkg);
      files[name] = path;
    }

    // Nothing of @clustr/* is on the registry yet: every one resolves to its tarball.
    const overrides = Object.fromEntries(names.filter((n) => n !== "clustr-ai").map((n) => [n, `file:${relative(prefix, files[n])}`]));
    const manifest = {
      name: "clustr-packed-install",
      version: "0.0.0",
      private: true,
      dependencies: { "clustr-ai": `file:${relative(prefix, files["clustr-ai"])}` },
      overrides,
    };
    writeFileSync(join(prefix, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
    // Only shipped files changed since the last install (same package.json files, same Node):
    // start from its third-party modules, so native ones are not compiled again, and let npm
    // install every packed package afresh from its tarball.
    const seed = previous?.depsFingerprint === depsFp ? join(previous.prefix, "node_modules") : null;
    const seeded = seed !== null && existsSync(seed);
    if (seeded) {
      run("cp", ["-a", seed, join(prefix, "node_modules")]);
      for (const stale of ["clustr-ai", "@clustr", ".package-lock.json", ".bin/clustr-ai", ".bin/clustr-bridge"]) rmSync(join(prefix, "node_modules", stale), { recursive: true, force: true });
    }
    const env = { ...process.env, npm_config_update_notifier: "false" };
    // node-gyp compiles better-sqlite3 and node-pty against Node's own headers when they are there.
    if (!env.npm_config_nodedir && existsSync("/usr/include/node/node.h")) env.npm_config_nodedir = "/usr";
    log(`installing ${names.length} packed packages into ${prefix} with npm${seeded ? " (third-party modules kept from the last install)" : ""}`);
    run("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error"], { cwd: prefix, env });

    const bin = join(prefix, "node_modules", ".bin", "clustr-ai");
    const version = run(bin, ["--version"], { cwd: prefix, env }).trim();
    if (!version.includes(byName.get("clustr-ai").pkg.version)) fail(`the installed clustr-ai --version printed ${JSON.stringify(version)}`);

    const current = { fingerprint: fp, depsFingerprint: depsFp, seeded, prefix, tarballs: files, packages: names, installedAt: new Date().toISOString() };
    const tmp = `${currentFile}.${process.pid}`;
    writeFileSync(tmp, `${JSON.stringify(current, null, 2)}\n`);
    renameSync(tmp, currentFile);
    // The previous install stays: a test run that started before this one may still be using it.
    // So does every other checkout's current one (they share the cache).
    const keep = new Set([fp.slice(0, 16), previous ? relative(base, join(previous.prefix, "..")) : ""]);
    for (const entry of readdirSync(base)) {
      if (!/^current-[0-9a-f]+\.json$/.test(entry)) continue;
      const record = readCurrent(join(base, entry));
      if (record) keep.add(relative(base, join(record.prefix, "..")));
    }
    for (const entry of readdirSync(base)) {
      if (!keep.has(entry) && /^[0-9a-f]{16}$/.test(entry)) rmSync(join(base, entry), { recursive: true, force: true });
    }
    log(`installed in ${Math.round((Date.now() - started) / 1000)} s`);
  });
}
console.log(readCurrent(currentFile).prefix);
