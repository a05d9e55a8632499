import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FastifyInstance } from "fastify";
import { AGENT_TOKEN, buildTestServer, HOST, PORT, TOKEN } from "./helpers.js";

const auth = { authorization: `Bearer ${TOKEN}` };

let app: FastifyInstance;
beforeAll(async () => {
  app = await buildTestServer();
});
afterAll(async () => {
  await app.close();
});

describe("Host header", () => {
  it.each([`127.0.0.1:${PORT}`, `localhost:${PORT}`, `[::1]:${PORT}`])("accepts %s", async (host) => {
    const res = await app.inject({ url: "/api/whoami", headers: { host, ...auth } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ principal: { kind: "user" } });
  });

  it.each([
    "evil.example:4321",
    "127.0.0.1",
    `127.0.0.1:${PORT + 1}`,
    `localhost.evil.example:${PORT}`,
    `127.0.0.2:${PORT}`,
    `0.0.0.0:${PORT}`,
  ])("refuses %s with 403, even on health and with the token", async (host) => {
    for (const url of ["/api/health", "/api/whoami"]) {
      const res = await app.inject({ url, headers: { host, ...auth } });
      expect(res.statusCode).toBe(403);
      expect(res.json()).toMatchObject({ error: { code: "forbidden" } });
    }
  });

  it("refuses before the body is read: an oversized or broken body still gets 403", async () => {
    const big = await app.inject({
      method: "POST",
      url: "/api/echo",
      headers: { host: "evil.example", "content-type": "application/json", ...auth },
      payload: `{"x":"${"a".repeat(2 * 1024 * 1024)}"}`,
    });
    expect(big.statusCode).toBe(403);
    const broken = await app.inject({
      method: "POST",
      url: "/api/echo",
      headers: { host: "evil.example", "content-type": "application/json", ...auth },
      payload: "{not json",
    });
    expect(broken.statusCode).toBe(403);
  });
});

describe("Origin header", () => {
  it("accepts exactly http:// plus the Host", async () => {
    for (const host of [HOST, `localhost:${PORT}`]) {
      const res = await app.inject({ url: "/api/whoami", headers: { host, origin: `http://${host}`, ...auth } });
      expect(res.statusCode).toBe(200);
    }
  });

  it.each([
    "https://evil.example",
    "null",
    `http://localhost:${PORT}`,
    `https://127.0.0.1:${PORT}`,
    `http://127.0.0.1:${PORT}/`,
    `http://127.0.0.1:${PORT + 1}`,
  ])("refuses Origin %s with 403 and no CORS headers", async (origin) => {
    for (const [method, url] of [["GET", "/api/whoami"], ["GET", "/api/health"], ["OPTIONS", "/api/whoami"], ["POST", "/api/echo"]] as const) {
      const res = await app.inject({ method, url, headers: { host: HOST, origin, ...auth }, ...(method === "POST" ? { payload: { a: 1 } } : {}) });
      expect(res.statusCode).toBe(403);
      expect(res.json()).toMatchObject({ error: { code: "forbidden" } });
      expect(Object.keys(res.headers).filter((h) => h.startsWith("access-control-"))).toEqual([]);
    }
  });
});

describe("token", () => {
  it("lets health through without a token", async () => {
    const res = await app.inject({ url: "/api/health", headers: { host: HOST } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ ok: true });
  });

  it.each([
    ["no credentials", {}],
    ["a wrong bearer token", { authorization: "Bearer wrong" }],
    ["the token with a suffix", { authorization: `Bearer ${TOKEN}x` }],
    ["a prefix of the token", { authorization: `Bearer ${TOKEN.slice(0, -1)}` }],
    ["another scheme", { authorization: `Basic ${TOKEN}` }],
    ["the cookie of another port", { cookie: `clustr_${PORT + 1}=${TOKEN}` }],
    ["a wrong cookie", { cookie: `clustr_${PORT}=nope` }],
  ])("answers 401 to %s", async (_what, headers: Record<string, string>) => {
    const res = await app.inject({ url: "/api/whoami", headers: { host: HOST, ...headers } });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ error: { code: "unauthorized", message: expect.any(String) } });
  });

  it("does not take the token from an API query string", async () => {
    const res = await app.inject({ url: `/api/whoami?token=${TOKEN}`, headers: { host: HOST } });
    expect(res.statusCode).toBe(401);
  });

  it("accepts the bearer token in any case of the scheme, and the port's cookie among others", async () => {
    const bearer = await app.inject({ url: "/api/whoami", headers: { host: HOST, authorization: `bearer ${TOKEN}` } });
    expect(bearer.statusCode).toBe(200);
    const cookie = await app.inject({ url: "/api/whoami", headers: { host: HOST, cookie: `other=1; clustr_${PORT}=${TOKEN}; x=y` } });
    expect(cookie.statusCode).toBe(200);
    expect(cookie.json()).toEqual({ principal: { kind: "user" } });
  });

  it("protects the dashboard page too", async () => {
    const res = await app.inject({ url: "/", headers: { host: HOST } });
    expect(res.statusCode).toBe(401);
  });

  it("trades /?token= for an HttpOnly SameSite=Strict cookie and redirects to the clean URL", async () => {
    const res = await app.inject({ url: `/?token=${TOKEN}`, headers: { host: HOST } });
    expect(res.statusCode).toBe(302);
    expect(res.headers.location).toBe("/");
    const setCookie = String(res.headers["set-cookie"]);
    expect(setCookie).toContain(`clustr_${PORT}=${TOKEN}`);
    expect(setCookie).toContain("HttpOnly");
    expect(setCookie).toContain("SameSite=Strict");
    expect(setCookie).toContain("Path=/");
    expect(res.headers["cache-control"]).toBe("no-store");

    const page = await app.inject({ url: "/", headers: { host: HOST, cookie: `clustr_${PORT}=${TOKEN}` } });
    expect(page.statusCode).toBe(200);
    expect(page.headers["content-type"]).toContain("text/html");
    expect(page.body).toContain("Clustr");
  });

  it("keeps other query parameters and the path in the redirect", async () => {
    const res = await app.inject({ url: `/agents/abc?view=graph&token=${TOKEN}`, headers: { host: HOST } });
    expect(res.statusCode).toBe(302);
    expect(res.headers.location).toBe("/agents/abc?view=graph");
  });

  it.each(["/.//evil.example/x", "/a/..//evil.example", "//evil.example/"])("never redirects %s to another host", async (path) => {
    const res = await app.inject({ url: `${path}?token=${TOKEN}`, headers: { host: HOST } });
    expect(res.statusCode).toBe(302);
    expect(res.headers.location).toMatch(/^\/(?!\/)/);
    expect(String(res.headers.location)).not.toMatch(/^\/\//);
  });

  it("refuses a wrong /?token= without setting a cookie", async () => {
    const res = await app.inject({ url: "/?token=wrong", headers: { host: HOST } });
    expect(res.statusCode).toBe(401);
    expect(res.headers["set-cookie"]).toBeUndefined();
  });

  it("sends a stale /?token= with a valid cookie to the clean URL without a new cookie", async () => {
    const res = await app.inject({ url: "/?token=old", headers: { host: HOST, cookie: `clustr_${PORT}=${TOKEN}` } });
    expect(res.statusCode).toBe(302);
    expect(res.headers.location).toBe("/");
    expect(res.headers["set-cookie"]).toBeUndefined();
  });

  it("keeps answers out of frames and caches", async () => {
    const res = await app.inject({ url: "/api/whoami", headers: { host: HOST, ...auth } });
    expect(res.headers["x-frame-options"]).toBe("DENY");
    expect(res.headers["x-content-type-options"]).toBe("nosniff");
    expect(res.headers["cache-control"]).toBe("no-store");
  });
});

describe("bridge routes", () => {
  it("authenticate by the agent's own token", async () => {
    const res = await app.inject({ url: "/api/bridge/whoami", headers: { host: HOST, authorization: `Bearer ${AGENT_TOKEN}` } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ principal: { kind: "agent", agentId: "agent-1" }, agentId: "agent-1" });
  });

  it("cannot be reached with the server token through a percent-encoded path", async () => {
    for (const url of ["/api/%62ridge/whoami", "/api/b%72idge/whoami", "/%61pi/bridge/whoami"]) {
      const user = await app.inject({ url, headers: { host: HOST, ...auth } });
      expect(user.statusCode).toBe(401);
      const agent = await app.inject({ url, headers: { host: HOST, authorization: `Bearer ${AGENT_TOKEN}` } });
      expect(agent.statusCode).toBe(200);
      expect(agent.json()).toMatchObject({ agentId: "agent-1" });
      const withOrigin = await app.inject({ url, headers: { host: HOST, origin: `http://${HOST}`, authorization: `Bearer ${AGENT_TOKEN}` } });
      expect(withOrigin.statusCode).toBe(403);
    }
  });

  it("fail closed when a route outside /api/bridge asks for the agent", async () => {
    const res = await app.inject({ url: "/api/misplaced-bridge-route", headers: { host: HOST, ...auth } });
    expect(res.statusCode).toBe(401);
  });

  it("refuse the server token and the cookie", async () => {
    for (const headers of [auth, { cookie: `clustr_${PORT}=${TOKEN}` }, {}]) {
      const res = await app.inject({ url: "/api/bridge/whoami", headers: { host: HOST, ...headers } });
      expect(res.statusCode).toBe(401);
    }
  });

  it("refuse any Origin, even the server's own", async () => {
    const res = await app.inject({
      url: "/api/bridge/whoami",
      headers: { host: HOST, origin: `http://${HOST}`, authorization: `Bearer ${AGENT_TOKEN}` },
    });
    expect(res.statusCode).toBe(403);
  });

  it("refuse every token when no verifier is configured", async () => {
    const bare = await buildTestServer({ verifyAgentToken: undefined });
    const res = await bare.inject({ url: "/api/bridge/whoami", headers: { host: HOST, authorization: `Bearer ${AGENT_TOKEN}` } });
    expect(res.statusCode).toBe(401);
    await bare.close();
  });

  it("check Host like every route", async () => {
    const res = await app.inject({ url: "/api/bridge/whoami", headers: { host: "evil.example", authorization: `Bearer ${AGENT_TOKEN}` } });
    expect(res.statusCode).toBe(403);
  });
});

describe("bodies and errors", () => {
  const post = (payload: string, headers: Record<string, string> = auth) =>
    app.inject({ method: "POST", url: "/api/echo", headers: { host: HOST, "content-type": "application/json", ...headers }, payload });

  it("accepts a body just under 1 MiB", async () => {
    const payload = `{"x":"${"a".repeat(1024 * 1024 - 10)}"}`;
    expect(Buffer.byteLength(payload)).toBeLessThanOrEqual(1024 * 1024);
    const res = await post(payload);
    expect(res.statusCode).toBe(200);
  });

  it("answers 413 payload_too_large beyond 1 MiB", async () => {
    const res = await post(`{"x":"${"a".repeat(1024 * 1024)}"}`);
    expect(res.statusCode).toBe(413);
    expect(res.json()).toMatchObject({ error: { code: "payload_too_large" } });
  });

  it("checks the token before reading a body", async () => {
    const res = await post(`{"x":"${"a".repeat(1024 * 1024)}"}`, {});
    expect(res.statusCode).toBe(401);
  });

  it("answers 400 bad_request to broken JSON", async () => {
    const res = await post("{not json");
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: { code: "bad_request" } });
  });

  it("maps zod errors to 400 validation_failed with a readable message", async () => {
    const res = await app.inject({ method: "POST", url: "/api/messages-check", headers: { host: HOST, ...auth }, payload: { to: "lead", body: 5 } });
    expect(res.statusCode).toBe(400);
    const body = res.json<{ error: { code: string; message: string } }>();
    expect(body.error.code).toBe("validation_failed");
    expect(body.error.message).toMatch(/^body: /);
  });

  it("maps ClustrError codes through ERROR_STATUS", async () => {
    const res = await app.inject({ url: "/api/conflict", headers: { host: HOST, ...auth } });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toEqual({ error: { code: "name_taken", message: "an agent named lead is already running" } });
  });

  it("hides internal errors behind a 500 internal", async () => {
    const res = await app.inject({ url: "/api/crash", headers: { host: HOST, ...auth } });
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({ error: { code: "internal", message: "internal server error" } });
  });

  it("answers unknown API routes with a JSON 404, only once authenticated", async () => {
    const res = await app.inject({ url: "/api/nope", headers: { host: HOST, ...auth } });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ error: { code: "not_found" } });
    const anonymous = await app.inject({ url: "/api/nope", headers: { host: HOST } });
    expect(anonymous.statusCode).toBe(401);
  });
});

describe("WebSocket upgrades", () => {
  it("open with the token and the right Host", async () => {
    // The route greets at once, so listen before the handshake completes.
    let first!: Promise<string>;
    const ws = await app.injectWS("/api/events", { headers: { host: HOST, ...auth } }, {
      onInit: (socket) => {
        first = new Promise<string>((resolve) => socket.once("message", (data: Buffer) => resolve(data.toString())));
      },
    });
    expect(JSON.parse(await first)).toEqual({ hello: "events" });
    ws.terminate();
  });

  it("open with the cookie and the same Origin, as the dashboard does", async () => {
    const ws = await app.injectWS("/api/events", { headers: { host: HOST, origin: `http://${HOST}`, cookie: `clustr_${PORT}=${TOKEN}` } });
    ws.terminate();
  });

  it.each([
    ["no token", { host: HOST }, 401],
    ["a wrong token", { host: HOST, authorization: "Bearer nope" }, 401],
    ["a foreign Origin", { host: HOST, origin: "https://evil.example", ...auth }, 403],
    ["a foreign Host", { host: "evil.example:4321", ...auth }, 403],
  ])("get the HTTP status, never an upgrade, with %s", async (_what, headers: Record<string, string>, status) => {
    await expect(app.injectWS("/api/events", { headers })).rejects.toThrow(`Unexpected server response: ${status}`);
  });
});
