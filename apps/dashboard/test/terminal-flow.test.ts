import { describe, expect, it } from "vitest";
import { OutputFlow, TERMINAL_STATS_HOOK, terminalStatsHook, type OutputSink } from "../src/index.js";

/** A sink that parses when told to, like xterm parsing its queue in slices. */
class QueuedSink implements OutputSink {
  readonly queue: { data: string | Uint8Array; parsed: () => void }[] = [];
  readonly written: (string | Uint8Array)[] = [];
  write(data: string | Uint8Array, parsed: () => void): void {
    this.queue.push({ data, parsed });
  }
  parseOne(): void {
    const next = this.queue.shift();
    if (!next) throw new Error("nothing queued");
    this.written.push(next.data);
    next.parsed();
  }
}

describe("OutputFlow", () => {
  it("counts pending bytes until the terminal has parsed them and reports each parsed chunk", () => {
    const sink = new QueuedSink();
    const reports: [number, number][] = [];
    const flow = new OutputFlow(sink, { onParsed: (chunk, pending) => reports.push([typeof chunk === "string" ? chunk.length : chunk.byteLength, pending]) });
    flow.write(new Uint8Array(100));
    flow.write("abc");
    expect(flow.pendingBytes).toBe(103);
    sink.parseOne();
    expect(flow.pendingBytes).toBe(3);
    sink.parseOne();
    expect(reports).toEqual([
      [100, 3],
      [3, 0],
    ]);
    expect(flow.parsedBytes).toBe(103);
    expect(flow.maxPendingBytes).toBe(103);
    expect(flow.behind).toBe(false);
  });

  it("falls behind past the high watermark, drops what still arrives, and says when it has caught up", () => {
    const sink = new QueuedSink();
    const calls: string[] = [];
    const skipped: number[] = [];
    const flow = new OutputFlow(sink, {
      highWatermarkBytes: 250,
      onBehind: () => calls.push("behind"),
      onCaughtUp: () => calls.push("caught up"),
      onSkipped: (bytes) => skipped.push(bytes),
    });
    flow.write(new Uint8Array(200));
    expect(calls).toEqual([]);
    flow.write(new Uint8Array(100));
    expect(calls).toEqual(["behind"]);
    expect(flow.behind).toBe(true);
    flow.write(new Uint8Array(40));
    expect(skipped).toEqual([40]);
    expect(sink.queue).toHaveLength(2);
    sink.parseOne();
    expect(calls).toEqual(["behind"]);
    sink.parseOne();
    expect(calls).toEqual(["behind", "caught up"]);
    expect(flow.skippedBytes).toBe(40);
    flow.resume();
    flow.write("x");
    expect(sink.queue).toHaveLength(1);
    expect(flow.behind).toBe(false);
  });
});

describe("terminalStatsHook", () => {
  it("finds a hook object with a parsed function and ignores anything else", () => {
    const hook = { parsed: () => undefined };
    expect(terminalStatsHook({ [TERMINAL_STATS_HOOK]: hook })).toBe(hook);
    expect(terminalStatsHook({})).toBeUndefined();
    expect(terminalStatsHook({ [TERMINAL_STATS_HOOK]: { parsed: 1 } })).toBeUndefined();
  });
});
