// The dashboard's plain TypeScript modules: state, live sync, API client and view helpers.
// The Svelte components use them; the unit tests import them from here.
export { applyEvent, agentById, withoutAgent, emptyState, fromSnapshot, nameOf, FILE_EVENTS_KEPT, type DashboardState, type Snapshot } from "./lib/state.js";
export { LiveSync, defaultBackoff, type ConnectionStatus, type EventSocket, type LiveSyncOptions, type SyncSnapshot } from "./lib/live-sync.js";
export { ApiClient, describeError, errorFromResponse, type Fetch } from "./lib/api.js";
export { buildGraph, edgeBends, edgeWidth, layoutGraph, CELL_GAP, USER_NODE, type GraphEdge, type GraphNode, type NodeExtent, type Point } from "./lib/graph.js";
export { filterFiles, filterMessages } from "./lib/filters.js";
export { emptySpawnForm, imageType, spawnBody, splitArgs, type SpawnForm, type SpawnFormResult } from "./lib/spawn-form.js";
export { agentStateLabel, countOf, firstLine, formatTime } from "./lib/format.js";
export { eventsUrl } from "./lib/events-url.js";
export { terminalUrl } from "./lib/events-url.js";
export { ackFrame, inputFrames, resizeFrame } from "./lib/terminal-input.js";
export { patchLines, type PatchLine } from "./lib/patch-lines.js";
export { ACK_EVERY_BYTES, OutputAcks, OutputFlow, OUTPUT_HIGH_WATERMARK_BYTES, TERMINAL_STATS_HOOK, terminalStatsHook, type OutputFlowOptions, type OutputSink, type TerminalStatsHook } from "./lib/terminal-flow.js";
export { FloodGate, FLOOD_GATE_DEFAULTS, type FloodGateOptions } from "./lib/flood-gate.js";
