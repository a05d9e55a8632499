import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { FastifyInstance } from "fastify";
import fastifyStatic from "@fastify/static";
import { ClustrError } from "@clustr/protocol";
import { pathOf } from "./request-path.js";
import { VERSION } from "./version.js";

/**
 * Where the dashboard's static build is: `dist/dashboard` in a published install (copied there
 * at build time), else `apps/dashboard/build` in a checkout; null when neither exists.
 */
export function findDashboardDir(): string | null {
  const candidates = [new URL("./dashboard/", import.meta.url), new URL("../../dashboard/build/", import.meta.url)];
  for (const candidate of candidates) {
    const dir = fileURLToPath(candidate);
    if (existsSync(`${dir}index.html`)) return dir;
  }
  return null;
}

const PLACEHOLDER = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Clustr</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;line-height:1.5}</style>
</head>
<body>
<h1>Clustr is running</h1>
<p>clustr-ai ${VERSION} is up, but this copy has no dashboard build.</p>
<p>From a checkout: <code>pnpm --filter @clustr/dashboard build</code>, then restart.
The HTTP API is available under <code>/api</code>.</p>
</body>
</html>
`;

/**
 * Serve the dashboard from `dir` (unknown non-API paths fall back to its `index.html`, as the
 * single-page app routes them itself), or a small placeholder page when `dir` is null. Unknown
 * API paths get a JSON 404.
 */
export async function registerDashboard(app: FastifyInstance, dir: string | null): Promise<void> {
  if (dir) {
    await app.register(fastifyStatic, { root: dir, prefix: "/", index: ["index.html"] });
  } else {
    app.get("/", async (_request, reply) => reply.type("text/html; charset=utf-8").send(PLACEHOLDER));
  }
  app.setNotFoundHandler(async (request, reply) => {
    const path = pathOf(request.url);
    if (dir && (request.method === "GET" || request.method === "HEAD") && !path.startsWith("/api/") && path !== "/api") {
      return reply.type("text/html; charset=utf-8").sendFile("index.html");
    }
    throw new ClustrError("not_found", `no route ${request.method} ${path}`);
  });
}
