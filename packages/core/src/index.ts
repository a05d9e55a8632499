export { createWorkspace, Workspace, type WorkspaceOptions, type Caller } from "./workspace.js";
export { AgentRuntime } from "./agent-runtime.js";
export { EventBus } from "./event-bus.js";
export { defaultBridgeLauncher } from "./bridge-launcher.js";
export { sniffImageType } from "./images.js";
export { FileWatchers, type FileWatchersOptions } from "./files/index.js";
