export { checkSpawnLimits, DEFAULT_MAX_AGENTS, DEFAULT_MAX_DEPTH } from "./limits.js";
export { Registry, type RegistryOptions, type AgentRecords, type AgentStatusPatch } from "./liveness.js";
export { reconcileAtStart, SERVER_RESTART_ERROR, type ReconcileInput } from "./reconcile.js";
export { processStartTime, processExists, signalGroup, sessionMembers, endSession } from "./process.js";
