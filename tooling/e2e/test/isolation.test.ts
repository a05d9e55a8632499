import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { hasLoopbackOnly, isolatedArgv, isRoot, ISOLATED_ENV } from "../src/index.js";

const ISOLATED_SH = fileURLToPath(new URL("../isolated.sh", import.meta.url));

// Inside: which interfaces exist, and whether a loopback server can be reached.
const PROBE = `
const os = require("node:os");
const http = require("node:http");
const names = Object.keys(os.networkInterfaces());
const server = http.createServer((q, s) => s.end("pong")).listen(0, "127.0.0.1", async () => {
  const res = await fetch("http://127.0.0.1:" + server.address().port + "/");
  console.log(JSON.stringify({ names, loopback: await res.text(), isolated: process.env.${ISOLATED_ENV} ?? null }));
  server.close();
});`;

function probe(argv: string[], env: NodeJS.ProcessEnv = process.env): { names: string[]; loopback: string; isolated: string | null } {
  const [file, ...args] = argv;
  return JSON.parse(execFileSync(file as string, args, { encoding: "utf8", env })) as { names: string[]; loopback: string; isolated: string | null };
}

describe("network isolation", () => {
  it("runs a command with loopback only (as root), where 127.0.0.1 still works", () => {
    const argv = isolatedArgv([process.execPath, "-e", PROBE]);
    if (!isRoot()) {
      // No namespace can be made: the command runs as given.
      expect(argv).toEqual([process.execPath, "-e", PROBE]);
      return;
    }
    const result = probe(argv);
    expect(result.names).toEqual(["lo"]);
    expect(result.loopback).toBe("pong");
  });

  it("isolated.sh enters the namespace once and runs the command there", () => {
    const env = { ...process.env, CLUSTR_E2E_SKIP_INSTALL: "1" };
    const result = probe(["sh", ISOLATED_SH, process.execPath, "-e", PROBE], env);
    expect(result.loopback).toBe("pong");
    if (isRoot()) {
      expect(result.names).toEqual(["lo"]);
      expect(result.isolated).toBe("1");
    }
  });

  it("does not nest: inside the namespace the argv is left as it is", () => {
    const saved = process.env[ISOLATED_ENV];
    process.env[ISOLATED_ENV] = "1";
    try {
      expect(isolatedArgv(["true"])).toEqual(["true"]);
    } finally {
      if (saved === undefined) delete process.env[ISOLATED_ENV];
      else process.env[ISOLATED_ENV] = saved;
    }
  });

  it("hasLoopbackOnly() is true inside the namespace (as root)", () => {
    const dist = new URL("../dist/index.js", import.meta.url).href;
    const code = `import(${JSON.stringify(dist)}).then((m) => console.log(m.hasLoopbackOnly()))`;
    const argv = isolatedArgv([process.execPath, "-e", code]);
    const [file, ...args] = argv;
    const answer = execFileSync(file as string, args, { encoding: "utf8" }).trim();
    expect(answer).toBe(isRoot() ? "true" : String(hasLoopbackOnly()));
  });
});
