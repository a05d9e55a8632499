import { execFileSync } from "node:child_process";
import { lstatSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { join } from "node:path";

/** Run the git CLI in `cwd` with a fixed identity; returns stdout. */
export function git(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}): string {
  return execFileSync("git", ["-c", "user.name=Test", "-c", "user.email=test@example.com", "-c", "init.defaultBranch=main", ...args], {
    cwd,
    env: { ...process.env, GIT_CONFIG_NOSYSTEM: "1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  }).toString();
}

/** Paths stored in a shadow repository's commit. */
export function shadowFiles(gitdir: string, commit: string): string[] {
  return execFileSync("git", ["--git-dir", gitdir, "ls-tree", "-r", "-z", "--name-only", commit])
    .toString()
    .split("\0")
    .filter((p) => p !== "")
    .sort();
}

/** Every entry under `root` (not descending into `skip`), with type, mode, bytes or link target. */
export function describeTree(root: string, skip: ReadonlySet<string> = new Set([".git"])): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string): void => {
    for (const name of readdirSync(join(root, rel)).sort()) {
      const path = rel === "" ? name : `${rel}/${name}`;
      if (skip.has(path)) continue;
      const abs = join(root, path);
      const st = lstatSync(abs);
      if (st.isSymbolicLink()) out[path] = `link:${readlinkSync(abs)}`;
      else if (st.isDirectory()) {
        out[`${path}/`] = "dir";
        walk(path);
      } else out[path] = `file:${(st.mode & 0o777).toString(8)}:${readFileSync(abs).toString("base64")}`;
    }
  };
  walk("");
  return out;
}

/** mtimes (ns) of every entry under `root`, `.git` included: proof nothing was rewritten. */
export function mtimes(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string): void => {
    for (const name of readdirSync(join(root, rel))) {
      const path = rel === "" ? name : `${rel}/${name}`;
      const st = lstatSync(join(root, path), { bigint: true });
      out[path] = `${st.mtimeNs}:${st.ctimeNs}`;
      if (st.isDirectory()) walk(path);
    }
  };
  walk("");
  return out;
}
