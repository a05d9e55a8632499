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
