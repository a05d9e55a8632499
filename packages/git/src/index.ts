export { shadowRepoDir } from "./shadow-path.js";
export {
  createCheckpointer,
  type Checkpointer,
  type CheckpointerOptions,
  type CheckpointOptions,
  type CheckpointResult,
  type ChangedByInput,
  type ChangedPathsHint,
  type RollbackOptions,
} from "./checkpointer.js";
export { IgnoreRules, baseSources, type BaseSources, type IgnoreRulesOptions } from "./ignore-rules.js";
