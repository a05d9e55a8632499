export { readBridgeConfig, BridgeConfigError, type BridgeConfig } from "./config.js";
