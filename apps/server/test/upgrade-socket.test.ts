import { connect } from "node:net";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FastifyInstance } from "fastify";
import { buildTestServer, TOKEN } from "./helpers.js";

// A raw client on a real socket: the point is what actually goes over the wire in answer to an
// upgrade request, which `injectWS` can only approximate.
let app: FastifyInstance;
let port: number;

beforeAll(async () => {
  app = await buildTestServer({ port: undefined });
  await app.listen({ host: "127.0.0.1", port: 0 });
  port = (app.server.address() as AddressInfo).port;
});
afterAll(async () => {
  await app.close();
});

/** Send one upgrade request and return everything the server wrote until it closed or upgraded. */
function upgrade(headers: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port });
    let received = "";
    const finish = () => {
      socket.destroy();
      resolve(received);
    };
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      received += chunk;
      // A 101 keeps the socket open; everything else is answered and then closed.
      if (received.startsWith("HTTP/1.1 101") && received.includes("\r\n\r\n")) finish();
    });
    socket.on("end", finish);
    socket.on("close", finish);
    socket.on("error", reject);
    socket.setTimeout(10_000, () => reject(new Error(`no answer; got: ${received}`)));
    const lines = [
      "GET /api/events HTTP/1.1",
      "Connection: Upgrade",
      "Upgrade: websocket",
      "Sec-WebSocket-Version: 13",
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
      ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
    ];
    socket.write(`${lines.join("\r\n")}\r\n\r\n`);
  });
}

describe("WebSocket upgrade on a real socket", () => {
  it("switches protocols with the token, Host and Origin right", async () => {
    const answer = await upgrade({ Host: `127.0.0.1:${port}`, Origin: `http://127.0.0.1:${port}`, Authorization: `Bearer ${TOKEN}` });
    expect(answer).toMatch(/^HTTP\/1\.1 101 /);
  });

  it.each([
    ["no token", () => ({ Host: `127.0.0.1:${port}` }), 401],
    ["a wrong cookie", () => ({ Host: `127.0.0.1:${port}`, Cookie: `clustr_${port}=nope` }), 401],
    ["a foreign Origin", () => ({ Host: `127.0.0.1:${port}`, Origin: "http://evil.example", Authorization: `Bearer ${TOKEN}` }), 403],
    ["a rebinding Host", () => ({ Host: `evil.example:${port}`, Authorization: `Bearer ${TOKEN}` }), 403],
  ])("answers %s with the HTTP status and JSON, never 101", async (_what, headers, status) => {
    const answer = await upgrade(headers());
    expect(answer).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
    expect(answer).not.toContain("101 Switching Protocols");
    expect(answer.toLowerCase()).not.toContain("sec-websocket-accept");
    expect(answer).toContain('"error":{"code":');
  });
});
