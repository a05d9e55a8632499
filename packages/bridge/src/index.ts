export { readBridgeConfig, BridgeConfigError, HEARTBEAT_ENV, type BridgeConfig } from "./config.js";
export { bridgeScriptPath, bridgeVersion } from "./package-files.js";
export { bridgeToolDefinitions, BRIDGE_INSTRUCTIONS, type BridgeToolDefinition } from "./tools.js";
export { startBridge, type BridgeOptions, type RunningBridge } from "./bridge.js";
