import { describe, expect, it, vi } from "vitest";
import { AckWindow } from "../src/routes/terminal-socket.js";

/** What `promise` settled with after one timer turn, or "pending". */
const after = async <T>(promise: Promise<T>): Promise<T | "pending"> => {
  let value: T | "pending" = "pending";
  void promise.then((v) => (value = v));
  await new Promise((r) => setTimeout(r, 0));
  return value;
};

describe("AckWindow", () => {
  it("lets every frame go until the first ack, then only while the window has room", async () => {
    const flow = new AckWindow(100);
    flow.sent(500);
    expect(await after(flow.room())).toBe(true);
    expect(flow.ack(300)).toBeNull();
    const waiting = flow.room();
    expect(await after(waiting)).toBe("pending");
    expect(flow.ack(350)).toBeNull();
    expect(await after(waiting)).toBe("pending");
    expect(flow.ack(400)).toBeNull();
    expect(await after(waiting)).toBe(true);
    flow.release();
  });

  it("refuses an ack beyond what was sent or below an earlier one, and keeps its count", async () => {
    const flow = new AckWindow(10);
    flow.sent(50);
    expect(flow.ack(51)).toBe("ack of 51 bytes, but 50 were sent");
    expect(flow.ack(20)).toBeNull();
    expect(flow.ack(19)).toBe("ack of 19 bytes after one of 20");
    const waiting = flow.room();
    expect(await after(waiting)).toBe("pending");
    expect(flow.ack(40)).toBeNull();
    expect(await after(waiting)).toBe(true);
  });

  it("gives up when the client acknowledges nothing more for the stall time; progress restarts it", async () => {
    vi.useFakeTimers();
    try {
      const flow = new AckWindow(10, 1000);
      flow.sent(100);
      expect(flow.ack(0)).toBeNull();
      let result: boolean | "pending" = "pending";
      void flow.room().then((room) => (result = room));
      await vi.advanceTimersByTimeAsync(900);
      expect(result).toBe("pending");
      expect(flow.ack(20)).toBeNull(); // progress, still no room: the stall time starts over
      await vi.advanceTimersByTimeAsync(900);
      expect(result).toBe("pending");
      await vi.advanceTimersByTimeAsync(100);
      expect(result).toBe(false);
    } finally {
      vi.useRealTimers();
    }
  });

  it("lets waiting frames go without room when released (the socket closed)", async () => {
    const flow = new AckWindow(0);
    flow.sent(1);
    expect(flow.ack(0)).toBeNull();
    const first = flow.room();
    const second = flow.room();
    flow.release();
    expect(await after(first)).toBe(false);
    expect(await after(second)).toBe(false);
  });
});
