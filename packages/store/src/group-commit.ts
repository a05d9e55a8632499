import type { Database, Transaction } from "better-sqlite3";
import { ClustrError } from "@clustr/protocol";
import { toClustrError } from "./errors.js";

interface Job<T> {
  work: () => T;
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
}

/**
 * Batches writes that arrive within a short window into one transaction, so they share one
 * commit (and, with `synchronous=FULL`, one fsync of the WAL).
 *
 * Each job runs inside its own savepoint: a job that throws is rolled back alone and its
 * caller gets the error, while the other jobs of the group still commit. Every promise settles
 * only after the COMMIT returned, so a resolved job is durable to the degree `synchronous`
 * promises. While a group commits, the event loop is blocked and new jobs pile up for the next
 * group, which is what makes groups grow under load.
 */
export class GroupCommit {
  private queue: Job<unknown>[] = [];
  private timer: { kind: "timeout"; handle: NodeJS.Timeout } | { kind: "immediate"; handle: NodeJS.Immediate } | undefined;
  private closed = false;
  private readonly runJob: (work: () => unknown) => unknown;
  private readonly runGroup: Transaction<(jobs: Job<unknown>[]) => { ok: boolean; value: unknown }[]>;

  /** Groups committed so far and jobs in them: for tests and benchmarks. */
  readonly stats = { groups: 0, jobs: 0 };

  constructor(
    private readonly sqlite: Database,
    private readonly windowMs: number,
  ) {
    // Called inside the group's transaction, better-sqlite3 turns this into a savepoint.
    this.runJob = sqlite.transaction((work: () => unknown) => work());
    this.runGroup = sqlite.transaction((jobs: Job<unknown>[]) =>
      jobs.map((job) => {
        try {
          return { ok: true, value: this.runJob(job.work) };
        } catch (error) {
          return { ok: false, value: error };
        }
      }),
    );
  }

  /** Queue `work` for the next group; resolves with its result once the group has committed. */
  submit<T>(work: () => T): Promise<T> {
    if (this.closed) return Promise.reject(new ClustrError("internal", "the store is closed"));
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, resolve, reject } as Job<unknown>);
      if (this.timer === undefined) {
        this.timer =
          this.windowMs > 0
            ? { kind: "timeout", handle: setTimeout(() => this.flush(), this.windowMs) }
            : { kind: "immediate", handle: setImmediate(() => this.flush()) };
      }
    });
  }

  /** Commit everything queued now, synchronously. */
  flush(): void {
    // Each handle goes to its own clear function: clearImmediate on a Timeout would upset
    // Node's count of pending immediates.
    if (this.timer?.kind === "timeout") clearTimeout(this.timer.handle);
    if (this.timer?.kind === "immediate") clearImmediate(this.timer.handle);
    this.timer = undefined;
    const jobs = this.queue;
    if (jobs.length === 0) return;
    this.queue = [];
    let results: { ok: boolean; value: unknown }[];
    try {
      results = this.runGroup.immediate(jobs);
    } catch (error) {
      // The COMMIT itself failed (disk full, I/O error): nothing of the group is stored.
      const failure = toClustrError(error);
      for (const job of jobs) job.reject(failure);
      return;
    }
    this.stats.groups++;
    this.stats.jobs += jobs.length;
    results.forEach((result, i) => {
      const job = jobs[i];
      if (!job) return;
      if (result.ok) job.resolve(result.value);
      else job.reject(toClustrError(result.value));
    });
  }

  /** Commit what is queued, then refuse new work. */
  close(): void {
    this.flush();
    this.closed = true;
  }
}
