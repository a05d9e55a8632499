export { makeTempDir, type TempDir } from "./temp.js";
export { waitForExit, waitFor, isAlive, spawnNode } from "./process.js";
