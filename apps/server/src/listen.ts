import type { AddressInfo } from "node:net";
import type { FastifyInstance } from "fastify";
import { ClustrError } from "@clustr/protocol";

/** How many ports above a busy one are tried before giving up. */
const PORT_ATTEMPTS = 50;

/** Where the server ended up listening. */
export interface ListenResult {
  port: number;
  /** The port asked for, when it was busy and the server moved on. */
  busyPort?: number;
}

/**
 * Listen on `host:port`; a busy port moves on to the next free one (up to 50 above it), and
 * port 0 lets the system pick.
 */
export async function listenOnFreePort(app: FastifyInstance, host: string, port: number): Promise<ListenResult> {
  const last = port === 0 ? 0 : Math.min(65535, port + PORT_ATTEMPTS - 1);
  for (let candidate = port; candidate <= last; candidate++) {
    try {
      await app.listen({ host, port: candidate });
      const bound = (app.server.address() as AddressInfo).port;
      return candidate === port ? { port: bound } : { port: bound, busyPort: port };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "EADDRINUSE" && candidate < last) continue;
      if (code === "EADDRINUSE") throw new ClustrError("conflict", `ports ${port} to ${last} on ${host} are all in use`, { hint: "choose another with --port, or --port 0 for any free port" });
      if (code === "EACCES") throw new ClustrError("forbidden", `not allowed to listen on ${host}:${candidate}`, { hint: "ports below 1024 need privileges: choose another with --port" });
      throw error;
    }
  }
  throw new ClustrError("conflict", `no free port from ${port}`);
}
