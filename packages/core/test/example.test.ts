import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { makeTempDir } from "@clustr/test-utils";
import { expect, it } from "vitest";

it("the README's example runs against the built package", async () => {
  const data = await makeTempDir("clustr-data-");
  const project = await makeTempDir("clustr-project-");
  const script = fileURLToPath(new URL("../examples/quick-start.mjs", import.meta.url));
  const { stdout } = await promisify(execFile)(process.execPath, [script, data.path, project.path], { timeout: 60_000 });
  expect(stdout).toContain("helper read: please run the tests");
  expect(stdout).toContain("context plan v1: lead writes, helper tests");
  expect(stdout).toMatch(/event \d+: lead is running/);
  expect(stdout.trim().endsWith("closed")).toBe(true);
  await data.cleanup();
  await project.cleanup();
});
