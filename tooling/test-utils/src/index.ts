export { makeTempDir, type TempDir } from "./temp.js";
export { waitForExit, waitFor, isAlive, spawnNode } from "./process.js";
export {
  fakeClaudeScript,
  fakeCodexScript,
  fakeTuiEnv,
  writeFakeCli,
  readFakeTuiLog,
  KeyReader,
  type FakeTuiEvent,
  type FakeTuiOptions,
  type Key,
} from "./fake-tui/index.js";
