import { describe, expect, it } from "vitest";
import { AckWindow } from "../src/routes/terminal-socket.js";

const settled = async (promise: Promise<void>): Promise<boolean> => {
  let done = false;
  void promise.then(() => (done = true));
  await new Promise((r) => setTimeout(r, 0));
  return done;
};

describe("AckWindow", () => {
  it("lets every frame go until the first ack, then only while the window has room", async () => {
    const flow = new AckWindow(100);
    flow.sent(500);
    expect(await settled(flow.room())).toBe(true);
    expect(flow.ack(300)).toBeNull();
    const waiting = flow.room();
    expect(await settled(waiting)).toBe(false);
    expect(flow.ack(350)).toBeNull();
    expect(await settled(waiting)).toBe(false);
    expect(flow.ack(400)).toBeNull();
    expect(await settled(waiting)).toBe(true);
  });

  it("refuses an ack beyond what was sent or below an earlier one, and keeps its count", async () => {
    const flow = new AckWindow(10);
    flow.sent(50);
    expect(flow.ack(51)).toBe("ack of 51 bytes, but 50 were sent");
    expect(flow.ack(20)).toBeNull();
    expect(flow.ack(19)).toBe("ack of 19 bytes after one of 20");
    expect(await settled(flow.room())).toBe(false);
    expect(flow.ack(40)).toBeNull();
    expect(await settled(flow.room())).toBe(true);
  });

  it("lets a waiting frame go when released (the socket closed)", async () => {
    const flow = new AckWindow(0);
    flow.sent(1);
    expect(flow.ack(0)).toBeNull();
    const waiting = flow.room();
    flow.release();
    expect(await settled(waiting)).toBe(true);
  });
});
