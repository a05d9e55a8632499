import type { AddressInfo } from "node:net";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { ClustrError } from "@clustr/protocol";
import { pathOf } from "./request-path.js";
import { tokensEqual } from "./token.js";

/** Who is calling: nobody yet (health only), the user (server token) or an agent (its own token). */
export type Principal = { kind: "public" } | { kind: "user" } | { kind: "agent"; agentId: string };

/** Resolve an agent's own token to its id, or null when no live agent holds it. */
export type VerifyAgentToken = (token: string) => string | null | Promise<string | null>;

declare module "fastify" {
  interface FastifyRequest {
    /** Set by the security layer before any handler runs. */
    principal: Principal;
  }
}

/**
 * The calling agent's id, for bridge routes. The security layer already refused everyone else
 * there; this makes a route that is mounted elsewhere by mistake fail closed.
 */
export function agentIdOf(request: FastifyRequest): string {
  if (request.principal.kind !== "agent") throw new ClustrError("unauthorized", "this route is for agents' bridges only");
  return request.principal.agentId;
}

/** Options of {@link registerSecurity}. */
export interface SecurityOptions {
  /** The server's access token. */
  token: string;
  /** The port clients must name in `Host`; defaults to the port the server listens on. */
  port?: number;
  /** Authenticates `/api/bridge/*` calls; without it every bridge call is refused. */
  verifyAgentToken?: VerifyAgentToken;
}

const HEALTH_PATH = "/api/health";
const BRIDGE_PREFIX = "/api/bridge/";

/** Name of the dashboard's session cookie: per port, because browsers share cookies across ports. */
export function cookieName(port: number): string {
  return `clustr_${port}`;
}

function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (!header) return undefined;
  const match = /^Bearer[ ]+([^\s]+)\s*$/i.exec(header);
  return match?.[1];
}

function cookieValues(request: FastifyRequest, name: string): string[] {
  const header = request.headers.cookie;
  if (!header) return [];
  const values: string[] = [];
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq === -1) continue;
    if (part.slice(0, eq).trim() === name) values.push(part.slice(eq + 1).trim());
  }
  return values;
}

function isBridgePath(path: string): boolean {
  return path === "/api/bridge" || path.startsWith(BRIDGE_PREFIX);
}

function safeDecode(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

function isApiPath(path: string): boolean {
  return path === "/api" || path.startsWith("/api/");
}

/**
 * The security layer of DESIGN.md "HTTP and WebSocket API", as one `onRequest` hook on the root
 * instance so that it runs for every route, static file and WebSocket upgrade, before any body
 * is read: `Host` must name this server on loopback (against DNS rebinding), `Origin`, when
 * sent, must be this very origin (against cross-site requests), and every route but
 * `GET /api/health` needs the token — by header, or by the cookie the dashboard gets when it
 * is opened with `?token=`. Bridge routes take an agent's own token and refuse any `Origin`.
 */
export function registerSecurity(app: FastifyInstance, options: SecurityOptions): void {
  const expectedPort = (): number | undefined => {
    if (options.port !== undefined) return options.port;
    const address = app.server.address();
    return address !== null && typeof address === "object" ? (address as AddressInfo).port : undefined;
  };

  // Fastify wants null for object decorations (a shared object would leak across requests); the
  // hook below sets it on every request before any handler runs.
  app.decorateRequest<Principal>("principal", null as unknown as Principal);

  app.addHook("onRequest", async (request: FastifyRequest, reply: FastifyReply) => {
    request.principal = { kind: "public" };
    const port = expectedPort();
    const host = request.headers.host?.toLowerCase();
    if (port === undefined || host === undefined || !(host === `127.0.0.1:${port}` || host === `localhost:${port}` || host === `[::1]:${port}`)) {
      throw new ClustrError("forbidden", "this server answers only requests addressed to it on loopback (Host header refused)");
    }

    const path = pathOf(request.url);
    // Decide by the route the router matched, not by the raw URL: the router decodes
    // percent-escapes, so `/api/%62ridge/...` reaches a bridge route while not looking like one.
    const route = request.routeOptions.url ?? safeDecode(path);
    const origin = request.headers.origin;
    if (isBridgePath(route) || isBridgePath(safeDecode(path))) {
      // Bridges are local processes, never web pages: any Origin means a browser is involved.
      if (origin !== undefined) throw new ClustrError("forbidden", "bridge routes refuse requests from browsers (Origin header present)");
      const presented = bearerToken(request);
      const agentId = presented && options.verifyAgentToken ? await options.verifyAgentToken(presented) : null;
      if (!agentId) throw new ClustrError("unauthorized", "a valid agent token is required (Authorization: Bearer <agent token>)");
      request.principal = { kind: "agent", agentId };
      return;
    }
    if (origin !== undefined && origin !== `http://${request.headers.host}`) {
      throw new ClustrError("forbidden", "cross-origin requests are refused (Origin does not match this server)");
    }

    if (request.method === "GET" && route === HEALTH_PATH) return;

    const name = cookieName(port);
    const presented = [bearerToken(request), ...cookieValues(request, name)];
    const authenticated = presented.some((value) => value !== undefined && tokensEqual(value, options.token));

    // Opening the dashboard with `?token=` trades the token for a cookie, then sends the browser
    // to the same address without it so the token leaves the address bar and the history.
    if ((request.method === "GET" || request.method === "HEAD") && !isApiPath(path)) {
      const url = new URL(request.url, "http://clustr.invalid");
      const fromQuery = url.searchParams.get("token");
      if (fromQuery !== null) {
        const valid = tokensEqual(fromQuery, options.token);
        if (!valid && !authenticated) throw new ClustrError("unauthorized", "this token is not valid: open the address clustr-ai printed when it started");
        url.searchParams.delete("token");
        if (valid) void reply.header("set-cookie", `${name}=${options.token}; Path=/; HttpOnly; SameSite=Strict`);
        // One leading slash only: `//host/...` in Location would send the browser elsewhere.
        const clean = `/${url.pathname.replace(/^\/+/, "")}${url.search}`;
        return reply.header("cache-control", "no-store").redirect(clean, 302);
      }
    }

    if (!authenticated) {
      throw new ClustrError("unauthorized", "the access token is missing or wrong: open the address clustr-ai printed when it started, or send Authorization: Bearer <token>");
    }
    request.principal = { kind: "user" };
  });

  app.addHook("onSend", async (request, reply, payload) => {
    // No CORS headers are ever added, so foreign pages cannot read answers; these keep the
    // dashboard out of frames and stop browsers from guessing content types.
    void reply.header("x-content-type-options", "nosniff");
    void reply.header("x-frame-options", "DENY");
    void reply.header("referrer-policy", "no-referrer");
    if (isApiPath(pathOf(request.url)) && !reply.hasHeader("cache-control")) void reply.header("cache-control", "no-store");
    return payload;
  });
}
