import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { buildTestServer, HOST, PORT, TOKEN } from "./helpers.js";

describe("request logs", () => {
  it("keep method and path but never the token, query strings or cookies", async () => {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const app = await buildTestServer({ logger: { level: "info", stream } });
    await app.inject({ url: `/?token=${TOKEN}`, headers: { host: HOST } });
    await app.inject({ url: `/?token=${TOKEN}-wrong`, headers: { host: HOST } });
    await app.inject({ url: "/api/whoami?secret=query", headers: { host: HOST, authorization: `Bearer ${TOKEN}` } });
    await app.inject({ url: "/api/whoami", headers: { host: HOST, cookie: `clustr_${PORT}=${TOKEN}` } });
    await app.inject({ url: `/api/nope?token=${TOKEN}`, headers: { host: HOST, cookie: `clustr_${PORT}=${TOKEN}` } });
    await app.inject({ url: "/api/crash", headers: { host: HOST, authorization: `Bearer ${TOKEN}` } });
    await app.close();

    const log = lines.join("");
    expect(log).toContain('"url":"/api/whoami"');
    expect(log).toContain('"statusCode":302');
    expect(log).toContain("secret internal detail");
    expect(log).not.toContain(TOKEN);
    expect(log).not.toContain("secret=query");
    expect(log).not.toContain("token=");
    expect(log.toLowerCase()).not.toContain("cookie");
    expect(log.toLowerCase()).not.toContain("authorization");
  });
});
