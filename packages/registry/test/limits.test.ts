import { describe, expect, it } from "vitest";
import { checkSpawnLimits } from "../src/index.js";

describe("checkSpawnLimits", () => {
  it("allows up to the limits", () => {
    expect(() => checkSpawnLimits({ liveAgents: 19, depth: 3 })).not.toThrow();
  });
  it("refuses the 21st live agent and a fourth level, with limit_reached", () => {
    expect(() => checkSpawnLimits({ liveAgents: 20, depth: 1 })).toThrow(expect.objectContaining({ code: "limit_reached" }));
    expect(() => checkSpawnLimits({ liveAgents: 0, depth: 4 })).toThrow(/depth 4/);
    expect(() => checkSpawnLimits({ liveAgents: 50, depth: 1, maxAgents: 60 })).not.toThrow();
  });
});
