import { describe, expect, it } from "vitest";
import { EventBus } from "../src/index.js";

describe("EventBus", () => {
  it("numbers events and delivers them to subscribers in order", () => {
    const bus = new EventBus();
    const seen: number[] = [];
    const stop = bus.subscribe((e) => seen.push(e.seq));
    bus.emit("rules.changed", { content: "a" });
    bus.emit("rules.changed", { content: "b" });
    stop();
    bus.emit("rules.changed", { content: "c" });
    expect(seen).toEqual([1, 2]);
    expect(bus.lastSeq).toBe(3);
  });

  it("replays what a client missed, and a reset once the window has moved past it", () => {
    const bus = new EventBus(4);
    for (let i = 0; i < 6; i++) bus.emit("rules.changed", { content: String(i) });
    expect(bus.replay(3).map((e) => e.seq)).toEqual([4, 5, 6]);
    expect(bus.replay(6)).toEqual([]);
    const reset = bus.replay(1);
    expect(reset).toHaveLength(1);
    expect(reset[0]).toMatchObject({ type: "reset", seq: 6 });
  });
});
