// Benchmark of @clustr/git against the git CLI, on one generated repository (5,000 files,
// about 20 MB), in the same run. Runs the built package: `pnpm build && pnpm bench`.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, appendFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { createCheckpointer } from "../dist/index.js";

const FILES = Number(process.env.BENCH_FILES ?? 5000);
const TOTAL_BYTES = Number(process.env.BENCH_BYTES ?? 20 * 1024 * 1024);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const CHANGED = 50;

const root = mkdtempSync(join(tmpdir(), "clustr-git-bench-"));
const folder = join(root, "repo");
const git = (args, opts = {}) => execFileSync("git", args, { cwd: folder, stdio: ["ignore", "pipe", "pipe"], ...opts });

function makeRepo() {
  mkdirSync(folder);
  git(["init", "-q"]);
  const per = Math.floor(TOTAL_BYTES / FILES);
  let seed = 1;
  const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  for (let i = 0; i < FILES; i++) {
    const dir = join(folder, `pkg${i % 20}`, `mod${i % 13}`);
    mkdirSync(dir, { recursive: true });
    const size = Math.max(16, Math.floor(per * (0.5 + rand())));
    const lines = [];
    let n = 0;
    while (n < size) {
      const line = `const v${n} = ${Math.floor(rand() * 1e9)}; // file ${i}\n`;
      lines.push(line);
      n += line.length;
    }
    writeFileSync(join(dir, `f${i}.ts`), lines.join(""));
  }
  writeFileSync(join(folder, ".gitignore"), "node_modules\n.env\n");
  git(["add", "-A"]);
  git(["-c", "user.name=b", "-c", "user.email=b@b", "commit", "-qm", "init"]);
  git(["update-index", "--refresh"]);
}

/** Append to `count` files picked by `salt`; returns their paths (relative to the folder). */
function changeFiles(round, count, salt) {
  const paths = [];
  for (let i = 0; i < count; i++) {
    const n = (i * 97 + round * 13 + salt) % FILES;
    const rel = `pkg${n % 20}/mod${n % 13}/f${n}.ts`;
    appendFileSync(join(folder, rel), `// round ${round}.${salt}\n`);
    paths.push(rel);
  }
  return paths;
}

/** The git CLI's snapshot: temporary index, separate gitdir, add -A, write-tree, commit-tree. */
function gitCliSnapshot(gitdir, index) {
  const env = { ...process.env, GIT_DIR: gitdir, GIT_WORK_TREE: folder, GIT_INDEX_FILE: index };
  git(["add", "-A"], { env });
  const tree = git(["write-tree"], { env }).toString().trim();
  return git(["-c", "user.name=b", "-c", "user.email=b@b", "commit-tree", tree, "-m", "cp"], { env }).toString().trim();
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
async function time(fn) {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

makeRepo();
// Files older than the stat cache's racy window, as in a real project.
await new Promise((r) => setTimeout(r, 1100));

const rows = [];
const first = { ours: [], git: [] };
const later = { ours: [], git: [] };
const diff = { ours: [], git: [] };
const hinted = { ours: [], git: [] };
for (let round = 0; round < ROUNDS; round++) {
  const gitdir = join(root, `cli-${round}.git`);
  git(["init", "-q", "--bare", gitdir]);
  const index = join(root, `cli-${round}.index`);
  const checkpointer = createCheckpointer({ checkpointsDir: join(root, `data-${round}`, "checkpoints") });
  let base;
  first.git.push(await time(() => gitCliSnapshot(gitdir, index)));
  first.ours.push(await time(async () => (base = await checkpointer.checkpoint(folder, { ref: "bench" }))));
  changeFiles(round, CHANGED, 0);
  let latest;
  later.git.push(await time(() => gitCliSnapshot(gitdir, index)));
  later.ours.push(await time(async () => (latest = await checkpointer.checkpoint(folder, { ref: "bench" }))));
  // A few more edits after the latest checkpoint, as a file watcher would report them.
  const since = changeFiles(round, 10, 5000);
  const gitDiff = await time(() => git(["diff"], { maxBuffer: 64 * 1024 * 1024 }));
  diff.git.push(gitDiff);
  hinted.git.push(gitDiff);
  let files = [];
  diff.ours.push(await time(async () => (files = await checkpointer.diff(folder, base.commit))));
  const expected = files.length;
  if (expected < CHANGED) throw new Error(`diff found ${expected} files, expected ${CHANGED} or more`);
  const hint = { since: latest.commit, paths: since };
  hinted.ours.push(await time(async () => (files = await checkpointer.diff(folder, base.commit, { changedPathsHint: hint }))));
  if (files.length !== expected) throw new Error(`hinted diff found ${files.length} files, the full one ${expected}`);
  git(["add", "-A"]);
  git(["-c", "user.name=b", "-c", "user.email=b@b", "commit", "-qm", `round ${round}`]);
  rmSync(gitdir, { recursive: true, force: true });
}

const row = (what, o, g, goal) => {
  const ratio = median(o) / median(g);
  rows.push({ what, "git CLI (ms)": median(g).toFixed(1), "@clustr/git (ms)": median(o).toFixed(1), ratio: `${ratio.toFixed(2)}x`, goal: `<= ${goal}x`, ok: ratio <= goal ? "yes" : "NO" });
};
row(`first checkpoint (${FILES} files)`, first.ours, first.git, 3);
row(`later checkpoint (${CHANGED} changed)`, later.ours, later.git, 1.5);
row(`diff (${CHANGED}+10 changed) vs git diff`, diff.ours, diff.git, 2);
row(`diff with watcher hint vs git diff`, hinted.ours, hinted.git, 2);
console.log(`median of ${ROUNDS} rounds, ${FILES} files, ${(TOTAL_BYTES / 1024 / 1024).toFixed(0)} MB, node ${process.version}`);
console.table(rows);
rmSync(root, { recursive: true, force: true });
