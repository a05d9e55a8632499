import { describe, expect, it } from "vitest";
import { HealthResponseSchema } from "@clustr/protocol";
import { buildServer, VERSION } from "../src/index.js";

describe("GET /api/health", () => {
  it("answers ok with the package version, without a token", async () => {
    const app = await buildServer({ port: 4321, dashboardDir: null });
    const res = await app.inject({ method: "GET", url: "/api/health", headers: { host: "127.0.0.1:4321" } });
    expect(res.statusCode).toBe(200);
    expect(HealthResponseSchema.parse(res.json())).toEqual({ ok: true, version: VERSION });
    expect(VERSION).toMatch(/^\d+\.\d+\.\d+/);
    await app.close();
  });

  it("is the only route open without a token", async () => {
    const app = await buildServer({ port: 4321, dashboardDir: null });
    const res = await app.inject({ method: "POST", url: "/api/health", headers: { host: "127.0.0.1:4321" } });
    expect(res.statusCode).toBe(401);
    await app.close();
  });
});
