import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeTempDir, type TempDir } from "@clustr/test-utils";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnPty } from "../src/index.js";

const RUNS = 50;
const MIB = 1024 * 1024;
const MARKER = "END-OF-OUTPUT-7f3a";

let tmp: TempDir;
let file: string;
let expected: Buffer;

beforeAll(async () => {
  tmp = await makeTempDir("clustr-exit-");
  // 1 MiB of 100-byte lines, the last one ending with a marker; the pty turns "\n" into "\r\n".
  const line = `${"a".repeat(99)}\n`;
  const body = line.repeat(Math.floor(MIB / line.length));
  const content = body + "b".repeat(MIB - body.length - MARKER.length) + MARKER;
  file = join(tmp.path, "one-mib.txt");
  writeFileSync(file, content);
  expected = Buffer.from(content.replace(/\n/g, "\r\n"));
});

afterAll(async () => {
  await tmp.cleanup();
});

describe("output at exit", () => {
  it(`delivers every byte of a 1 MiB output before reporting exit, ${RUNS} runs out of ${RUNS}`, { timeout: 300_000 }, async () => {
    const results: string[] = [];
    for (let run = 0; run < RUNS; run++) {
      const session = spawnPty({ file: "cat", args: [file], cwd: tmp.path });
      const chunks: Buffer[] = [];
      let bytesAtExit = -1;
      session.subscribe((data) => {
        chunks.push(Buffer.from(data));
      });
      session.onExit(() => {
        bytesAtExit = chunks.reduce((n, c) => n + c.length, 0);
      });
      const exit = await session.exited;
      const got = Buffer.concat(chunks);
      const ok = exit.exitCode === 0 && bytesAtExit === expected.length && got.equals(expected) && got.subarray(-MARKER.length).toString() === MARKER;
      results.push(ok ? "ok" : `run ${run}: ${got.length}/${expected.length} bytes, at exit ${bytesAtExit}, ends ${JSON.stringify(got.subarray(-20).toString())}`);
      await session.close({ graceMs: 100 });
    }
    expect(results.filter((r) => r !== "ok")).toEqual([]);
    expect(results).toHaveLength(RUNS);
  });
});
