import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** One request the bridge made, as the stand-in server saw it. */
export interface RecordedRequest {
  method: string;
  path: string;
  authorization: string | undefined;
  body: unknown;
  at: number;
  /** Set when the bridge dropped the request before the answer was sent. */
  abandoned: boolean;
}

/** What the stand-in server answers; `delayMs` holds the answer back like a blocking route. */
export interface CannedAnswer {
  status: number;
  body?: unknown;
  delayMs?: number;
}

/** A minimal stand-in for the server's /api/bridge routes: records requests, gives canned answers. */
export interface FakeServer {
  url: string;
  requests: RecordedRequest[];
  /** Requests to one path, in arrival order. */
  to(path: string): RecordedRequest[];
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString("utf8");
  return text === "" ? undefined : (JSON.parse(text) as unknown);
}

/**
 * Listen on 127.0.0.1, port 0. `answer` picks the reply to each request; without one the
 * reply is `200 {}` (what hello, ready and heartbeat need).
 */
export async function startFakeServer(answer: (request: RecordedRequest, count: number) => CannedAnswer | undefined = () => undefined): Promise<FakeServer> {
  const requests: RecordedRequest[] = [];
  const server: Server = createServer((req, res) => {
    void (async () => {
      const recorded: RecordedRequest = {
        method: req.method ?? "",
        path: req.url ?? "",
        authorization: req.headers.authorization,
        body: await readBody(req),
        at: Date.now(),
        abandoned: false,
      };
      res.on("close", () => {
        if (!res.writableEnded) recorded.abandoned = true;
      });
      requests.push(recorded);
      const canned = answer(recorded, requests.filter((r) => r.path === recorded.path).length) ?? { status: 200, body: {} };
      if (canned.delayMs) await new Promise((r) => setTimeout(r, canned.delayMs));
      if (res.destroyed) return;
      res.writeHead(canned.status, { "content-type": "application/json" });
      res.end(canned.body === undefined ? "" : JSON.stringify(canned.body));
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    to: (path) => requests.filter((r) => r.path === path),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
