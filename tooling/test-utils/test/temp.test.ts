import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { makeTempDir, waitFor } from "../src/index.js";

describe("makeTempDir", () => {
  it("creates a folder and removes it with its content", async () => {
    const dir = await makeTempDir();
    writeFileSync(join(dir.path, "f.txt"), "x");
    expect(existsSync(join(dir.path, "f.txt"))).toBe(true);
    await dir.cleanup();
    expect(existsSync(dir.path)).toBe(false);
  });
});

describe("waitFor", () => {
  it("returns the first truthy value and times out otherwise", async () => {
    let n = 0;
    await expect(waitFor(() => (++n >= 3 ? n : undefined), { intervalMs: 1 })).resolves.toBe(3);
    await expect(waitFor(() => false, { timeoutMs: 20, intervalMs: 5, what: "never" })).rejects.toThrow(/never/);
  });
});
