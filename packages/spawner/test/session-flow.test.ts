import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeTempDir, waitFor, type TempDir } from "@clustr/test-utils";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { spawnPty, type PtySession } from "../src/index.js";

let tmp: TempDir;
let session: PtySession | undefined;

beforeEach(async () => {
  tmp = await makeTempDir("clustr-flow-");
});

afterEach(async () => {
  await session?.close({ graceMs: 200 });
  session = undefined;
  await tmp.cleanup();
});

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describe("flow control", () => {
  it("pauses the pty while a subscriber is behind, keeps memory bounded, and loses nothing", { timeout: 120_000 }, async () => {
    const HIGH = 64 * 1024;
    const SIZE = 8 * 1024 * 1024;
    const file = join(tmp.path, "big.txt");
    const line = `${"z".repeat(127)}\n`;
    writeFileSync(file, line.repeat(SIZE / line.length) + "TAIL");
    const expectedBytes = SIZE + SIZE / line.length + 4; // every "\n" became "\r\n"

    session = spawnPty({ file: "cat", args: [file], cwd: tmp.path, highWatermarkBytes: HIGH });
    const s = session;
    // The slow subscriber holds its first delivery until `release()`: the pty must stop.
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let received = 0;
    let maxPending = 0;
    let tail = "";
    let fastReceived = 0;
    const sub = s.subscribe(async (data) => {
      received += Buffer.byteLength(data);
      tail = (tail + data).slice(-10);
      await gate;
    });
    // A fast subscriber next to the slow one: it sees what the pty lets through.
    s.subscribe((data) => {
      fastReceived += Buffer.byteLength(data);
    });
    const sampler = setInterval(() => {
      maxPending = Math.max(maxPending, sub.pendingBytes);
    }, 5);

    await waitFor(() => s.paused, { what: "pty paused" });
    const seenWhilePaused = fastReceived;
    await sleep(500);
    // While paused the program is blocked: no more output arrives and nothing piles up.
    expect(s.paused).toBe(true);
    expect(s.exit).toBeUndefined();
    expect(fastReceived - seenWhilePaused).toBeLessThanOrEqual(64 * 1024);
    expect(sub.pendingBytes).toBeGreaterThan(HIGH);
    expect(sub.pendingBytes).toBeLessThanOrEqual(HIGH + 128 * 1024);
    expect(fastReceived).toBeLessThan(SIZE / 8);

    release();
    const exit = await s.exited;
    clearInterval(sampler);
    expect(exit.exitCode).toBe(0);
    expect(received).toBe(expectedBytes);
    expect(fastReceived).toBe(expectedBytes);
    expect(tail.endsWith("TAIL")).toBe(true);
    // Undelivered bytes never went far past the watermark: what the stream had read ahead.
    expect(maxPending).toBeGreaterThan(HIGH);
    expect(maxPending).toBeLessThanOrEqual(HIGH + 128 * 1024);
  });

  it("keeps a byte subscriber's buffer intact until its promise settles, while more output queues", { timeout: 60_000 }, async () => {
    // Numbered lines make any overwritten or reordered byte show in the joined result.
    const file = join(tmp.path, "numbered.txt");
    const lines = Array.from({ length: 20_000 }, (_, i) => `line ${String(i).padStart(6, "0")} ${"é".repeat(20)}\n`);
    writeFileSync(file, lines.join(""));
    session = spawnPty({ file: "cat", args: [file], cwd: tmp.path });
    const copies: Buffer[] = [];
    let joinedDeliveries = 0;
    session.subscribeBytes(async (bytes) => {
      const before = Buffer.from(bytes);
      // Output keeps arriving and queuing while this delivery is held.
      await sleep(5);
      expect(bytes.equals(before)).toBe(true);
      if (bytes.length > 8 * 1024) joinedDeliveries++;
      copies.push(before);
    });
    await session.exited;
    expect(Buffer.concat(copies).toString("utf8")).toBe(lines.join("").replaceAll("\n", "\r\n"));
    // Deliveries really were joined from several pty reads (the path that reuses a buffer).
    expect(joinedDeliveries).toBeGreaterThan(0);
  });

  it("does not let a subscriber that throws hold the pty", async () => {
    const file = join(tmp.path, "mid.txt");
    writeFileSync(file, "q".repeat(512 * 1024) + "DONE");
    session = spawnPty({ file: "cat", args: [file], cwd: tmp.path, highWatermarkBytes: 16 * 1024 });
    const bad = session.subscribe(() => Promise.reject(new Error("socket gone")));
    let good = 0;
    session.subscribe((data) => {
      good += Buffer.byteLength(data);
    });
    await session.exited;
    expect(good).toBe(512 * 1024 + 4);
    expect(bad.pendingBytes).toBe(0);
  });
});
