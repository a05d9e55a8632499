import { fileURLToPath } from "node:url";
import { makeTempDir, type TempDir } from "@clustr/test-utils";
import { afterEach, beforeEach } from "vitest";
import { spawnPty, type PtySession } from "../src/index.js";

/** A file in test/fixtures/. */
export const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

/** Per test: a fresh temp folder, and pty sessions started in it that are closed after the test. */
export interface PtyTestBed {
  /** This test's temp folder. */
  readonly tmp: TempDir;
  /** `spawnPty`, with the session closed (SIGTERM, then SIGKILL after 200 ms) after the test. */
  start(options: Parameters<typeof spawnPty>[0]): PtySession;
}

/** Register the hooks of a {@link PtyTestBed}; call it once at the top of a test file. */
export function usePtyTestBed(prefix: string): PtyTestBed {
  let tmp: TempDir | undefined;
  const sessions: PtySession[] = [];
  beforeEach(async () => {
    tmp = await makeTempDir(prefix);
  });
  afterEach(async () => {
    await Promise.all(sessions.splice(0).map((s) => s.close({ graceMs: 200 })));
    await tmp?.cleanup();
    tmp = undefined;
  });
  return {
    get tmp() {
      if (!tmp) throw new Error("the temp folder exists only while a test runs");
      return tmp;
    },
    start(options) {
      const session = spawnPty(options);
      sessions.push(session);
      return session;
    },
  };
}
