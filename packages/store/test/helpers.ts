import { join } from "node:path";
import { makeTempDir, type TempDir } from "@clustr/test-utils";
import { openStore, type Store } from "../src/index.js";

/** A store on a real database file in a fresh temp folder; `close()` closes and removes both. */
export async function tempStore(options: { groupCommitWindowMs?: number } = {}): Promise<{
  store: Store;
  dir: TempDir;
  file: string;
  close(): Promise<void>;
}> {
  const dir = await makeTempDir("clustr-store-");
  const file = join(dir.path, "clustr.db");
  const store = openStore({ file, ...options });
  return {
    store,
    dir,
    file,
    async close() {
      await store.close();
      await dir.cleanup();
    },
  };
}

/** Create a live agent with defaults for what the test does not care about. */
export function addAgent(store: Store, name: string, extra: { parentId?: string } = {}) {
  return store.agents.create({ name, kind: "command", task: `task of ${name}`, cwd: "/tmp", command: "sh", ...extra });
}
