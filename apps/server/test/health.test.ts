import { describe, expect, it } from "vitest";
import { buildServer, VERSION } from "../src/index.js";

describe("GET /api/health", () => {
  it("answers ok with the package version", async () => {
    const app = await buildServer();
    const res = await app.inject({ method: "GET", url: "/api/health" });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ ok: true, version: VERSION });
    expect(VERSION).toMatch(/^\d+\.\d+\.\d+/);
    await app.close();
  });
});
