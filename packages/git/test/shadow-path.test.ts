import { describe, expect, it } from "vitest";
import { shadowRepoDir } from "../src/index.js";

describe("shadowRepoDir", () => {
  it("gives one stable folder per project folder", () => {
    const a = shadowRepoDir("/d/checkpoints", "/home/me/app");
    expect(a).toBe(shadowRepoDir("/d/checkpoints", "/home/me/app/"));
    expect(a).toMatch(/^\/d\/checkpoints\/app-[0-9a-f]{16}$/);
    expect(shadowRepoDir("/d/checkpoints", "/home/you/app")).not.toBe(a);
  });
});
