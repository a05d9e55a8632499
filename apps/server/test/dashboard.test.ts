import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FastifyInstance } from "fastify";
import { makeTempDir, type TempDir } from "@clustr/test-utils";
import { buildTestServer, HOST, PORT, TOKEN } from "./helpers.js";

const cookie = { host: HOST, cookie: `clustr_${PORT}=${TOKEN}` };

describe("dashboard build", () => {
  let dir: TempDir;
  let app: FastifyInstance;

  beforeAll(async () => {
    dir = await makeTempDir();
    await writeFile(join(dir.path, "index.html"), "<!doctype html><title>dashboard-index</title>");
    await mkdir(join(dir.path, "_app"));
    await writeFile(join(dir.path, "_app", "start.js"), "console.log('dashboard-asset');");
    app = await buildTestServer({ dashboardDir: dir.path });
  });
  afterAll(async () => {
    await app.close();
    await dir.cleanup();
  });

  it("serves index.html at / and the assets", async () => {
    const index = await app.inject({ url: "/", headers: cookie });
    expect(index.statusCode).toBe(200);
    expect(index.body).toContain("dashboard-index");
    const asset = await app.inject({ url: "/_app/start.js", headers: cookie });
    expect(asset.statusCode).toBe(200);
    expect(asset.body).toContain("dashboard-asset");
    expect(asset.headers["content-type"]).toContain("javascript");
  });

  it("falls back to index.html for the app's own routes", async () => {
    const res = await app.inject({ url: "/agents/abc", headers: cookie });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain("dashboard-index");
  });

  it("keeps JSON 404s for unknown API paths", async () => {
    const res = await app.inject({ url: "/api/agents/none/nothing", headers: cookie });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ error: { code: "not_found" } });
  });

  it("needs the token for files too", async () => {
    const res = await app.inject({ url: "/_app/start.js", headers: { host: HOST } });
    expect(res.statusCode).toBe(401);
  });

  it("does not serve files outside the build", async () => {
    const res = await app.inject({ url: "/../../etc/passwd", headers: cookie });
    expect(res.body).not.toContain("root:");
  });
});

describe("placeholder page", () => {
  it("is served at / when there is no dashboard build", async () => {
    const app = await buildTestServer({ dashboardDir: null });
    const res = await app.inject({ url: "/", headers: cookie });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toContain("text/html");
    expect(res.body).toContain("Clustr is running");
    const other = await app.inject({ url: "/agents/abc", headers: cookie });
    expect(other.statusCode).toBe(404);
    await app.close();
  });
});
