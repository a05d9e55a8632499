import { describe, expect, it } from "vitest";
import { ackFrame, OutputAcks, OutputFlow, TERMINAL_STATS_HOOK, terminalStatsHook, type OutputSink } from "../src/index.js";
import { TerminalClientMessageSchema } from "@clustr/protocol";

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
    const done: string[] = [];
    flow.write(new Uint8Array(100), () => done.push("bytes"));
    flow.write("abc", () => done.push("text"));
    expect(flow.pendingBytes).toBe(103);
    sink.parseOne();
    expect(flow.pendingBytes).toBe(3);
    sink.parseOne();
    expect(reports).toEqual([
      [100, 3],
      [3, 0],
    ]);
    expect(done).toEqual(["bytes", "text"]);
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

describe("OutputAcks", () => {
  it("starts at 0, then acknowledges shown output every `every` bytes and whenever all received is shown", () => {
    const sent: number[] = [];
    const acks = new OutputAcks((bytes) => sent.push(bytes), () => false, 100);
    acks.received(50);
    acks.shown(50);
    expect(sent).toEqual([]); // not started: the server counts from the first ack
    acks.start();
    acks.start();
    expect(sent).toEqual([0]);
    acks.received(300);
    acks.shown(60); // 110 shown of 350: past `every`
    acks.shown(60); // 170: only 60 since the last
    acks.shown(130); // 300 of 350
    acks.shown(50); // everything received is shown
    expect(sent).toEqual([0, 110, 300, 350]);
    expect(acks.ackedBytes).toBe(350);
  });

  it("with the page hidden acknowledges on arrival, and a later parse never goes back", () => {
    let hidden = false;
    const sent: number[] = [];
    const acks = new OutputAcks((bytes) => sent.push(bytes), () => hidden, 100);
    acks.start();
    acks.received(40);
    hidden = true;
    acks.received(30);
    expect(sent).toEqual([0, 70]);
    acks.shown(70);
    hidden = false;
    acks.received(10);
    acks.shown(5);
    expect(sent).toEqual([0, 70]);
    acks.shown(5);
    expect(sent).toEqual([0, 70, 80]);
  });

  it("flushes everything received at once when the page is hidden", () => {
    const sent: number[] = [];
    const acks = new OutputAcks((bytes) => sent.push(bytes), () => false, 1000);
    acks.start();
    acks.received(500);
    acks.shown(20);
    acks.flush();
    acks.flush();
    expect(sent).toEqual([0, 500]);
  });

  it("frames acknowledgements as the server's schema reads them", () => {
    expect(TerminalClientMessageSchema.parse(JSON.parse(ackFrame(123)))).toEqual({ type: "ack", bytes: 123 });
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
