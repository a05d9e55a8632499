import { describe, expect, it } from "vitest";
import { FLOOD_GATE_DEFAULTS, FloodGate } from "../src/index.js";

const KiB = 1024;

/** Feed each plan's chunks every `everyMs` from `from` to `to`, settling every ms up to `end`; returns the switches. */
function drive(gate: FloodGate, plan: { from: number; to: number; everyMs: number; chunk: number }[], end: number): { at: number; flooding: boolean }[] {
  const switches: { at: number; flooding: boolean }[] = [];
  for (let now = 0; now <= end; now++) {
    for (const p of plan) {
      if (now >= p.from && now < p.to && (now - p.from) % p.everyMs === 0 && gate.output(p.chunk, now)) switches.push({ at: now, flooding: true });
    }
    if (gate.settle(now)) switches.push({ at: now, flooding: false });
  }
  return switches;
}

describe("FloodGate", () => {
  it("stays calm at a readable pace, however long it lasts", () => {
    const gate = new FloodGate();
    // 4 KiB every 100 ms: 40 KiB/s, a busy but readable terminal.
    const switches = drive(gate, [{ from: 0, to: 60_000, everyMs: 100, chunk: 4 * KiB }], 60_000);
    expect(switches).toEqual([]);
    expect(gate.flooding).toBe(false);
    expect(gate.calmIn(60_000)).toBeNull();
  });

  it("starts a flood as soon as more than floodBytes arrive within the window", () => {
    const gate = new FloodGate();
    expect(gate.output(32 * KiB, 1000)).toBe(false);
    expect(gate.output(32 * KiB, 1100)).toBe(false);
    expect(gate.flooding).toBe(false);
    expect(gate.output(1, 1200)).toBe(true);
    expect(gate.flooding).toBe(true);
    // Already flooding: more output does not start it again.
    expect(gate.output(64 * KiB, 1210)).toBe(false);
    expect(gate.switches).toBe(1);
  });

  it("does not count output older than the window towards a flood", () => {
    const gate = new FloodGate();
    expect(gate.output(60 * KiB, 0)).toBe(false);
    expect(gate.output(60 * KiB, 400)).toBe(false);
    expect(gate.output(60 * KiB, 800)).toBe(false);
    expect(gate.flooding).toBe(false);
  });

  it("ends a flood only after a whole calm period at or below calmBytes", () => {
    const gate = new FloodGate();
    expect(gate.output(100 * KiB, 1000)).toBe(true);
    expect(gate.calmIn(1000)).toBeGreaterThan(FLOOD_GATE_DEFAULTS.calmMs - 1);
    expect(gate.settle(1500)).toBe(false);
    // A trickle at or below calmBytes does not hold the flood open...
    expect(gate.output(8 * KiB, 1500)).toBe(false);
    expect(gate.settle(1999)).toBe(false);
    const wait = gate.calmIn(1999);
    expect(wait).not.toBeNull();
    expect(wait).toBeGreaterThan(0);
    expect(gate.settle(1999 + (wait ?? 0))).toBe(true);
    expect(gate.flooding).toBe(false);
    expect(gate.switches).toBe(2);
    expect(1999 + (wait ?? 0)).toBeLessThanOrEqual(1000 + FLOOD_GATE_DEFAULTS.calmMs + 25);
  });

  it("keeps a flood going while output stays above calmBytes, even below the flood rate (hysteresis)", () => {
    const gate = new FloodGate();
    expect(gate.output(100 * KiB, 0)).toBe(true);
    // 40 KiB/s: too slow to start a flood, too fast to end one.
    const switches = drive(gate, [{ from: 1, to: 10_000, everyMs: 100, chunk: 4 * KiB }], 10_000);
    expect(switches).toEqual([]);
    expect(gate.flooding).toBe(true);
    expect(gate.settle(10_000 + FLOOD_GATE_DEFAULTS.calmMs + 25)).toBe(true);
  });

  it("tells the pane when to check again, and that time is enough", () => {
    const gate = new FloodGate();
    gate.output(200 * KiB, 0);
    gate.output(200 * KiB, 300);
    const wait = gate.calmIn(300) ?? -1;
    expect(gate.settle(300 + wait - 1)).toBe(false);
    expect(gate.calmIn(300 + wait)).toBe(0);
    expect(gate.settle(300 + wait)).toBe(true);
    expect(gate.calmIn(300 + wait)).toBeNull();
  });

  it.each([1100, 2500, 6000])("does not flap under bursts that come back %i ms apart", (period) => {
    const gate = new FloodGate();
    // A 100 KiB burst every period for a minute: a gate that restored after a fixed second of
    // calm would switch twice per burst.
    const bursts = Math.ceil(60_000 / period);
    const switches = drive(gate, [{ from: 0, to: 60_000, everyMs: period, chunk: 100 * KiB }], 60_000);
    expect(switches[0]).toEqual({ at: 0, flooding: true });
    // Each relapse doubles the calm needed, so the gate settles into staying suspended (or,
    // with bursts further apart than the longest calm, switches around each).
    expect(switches.length).toBeLessThanOrEqual(Math.min(8, 2 * bursts));
    for (let i = 2; i < switches.length; i++) {
      const gap = (switches[i]?.at ?? 0) - (switches[i - 2]?.at ?? 0);
      expect(gap).toBeGreaterThanOrEqual(FLOOD_GATE_DEFAULTS.calmMs);
    }
    expect(gate.calmMs).toBeGreaterThan(FLOOD_GATE_DEFAULTS.calmMs);
  });

  it("forgives earlier floods after a long calm", () => {
    const gate = new FloodGate();
    const switches = drive(gate, [{ from: 0, to: 10_000, everyMs: 1100, chunk: 100 * KiB }], 30_000);
    expect(gate.flooding).toBe(false);
    expect(gate.calmMs).toBeGreaterThan(FLOOD_GATE_DEFAULTS.calmMs);
    expect(switches.at(-1)?.flooding).toBe(false);
    // A new flood long after the last one waits only the base calm period again.
    expect(gate.output(100 * KiB, 40_000)).toBe(true);
    expect(gate.calmMs).toBe(FLOOD_GATE_DEFAULTS.calmMs);
    expect(gate.settle(40_000 + FLOOD_GATE_DEFAULTS.calmMs + 25)).toBe(true);
  });

  it("rejects thresholds without a gap between flood and calm", () => {
    expect(() => new FloodGate({ floodBytes: 10, calmBytes: 10 })).toThrow(RangeError);
    expect(() => new FloodGate({ calmMs: 2000, maxCalmMs: 1000 })).toThrow(RangeError);
    expect(() => new FloodGate({ floodWindowMs: 0 })).toThrow(RangeError);
  });
});
