export { checkSpawnLimits, DEFAULT_MAX_AGENTS, DEFAULT_MAX_DEPTH } from "./limits.js";
