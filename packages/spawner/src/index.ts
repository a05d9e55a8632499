export { sanitizeText } from "./sanitize.js";
export { classify, classifyCommandScreen } from "./screens/classify.js";
export { classifyClaudeScreen } from "./screens/claude-screen.js";
export { classifyCodexScreen } from "./screens/codex-screen.js";
export { KEYS, screenLines } from "./screens/screen-lines.js";
export type { PromptId, ScreenBlocker, ScreenPrompt, ScreenState } from "./screens/types.js";
export { buildLaunch } from "./adapters/build-launch.js";
export { buildClaudeLaunch, CLAUDE_INSTALL_HINT, CLAUDE_PASTE_PIECES } from "./adapters/claude.js";
export { buildCodexLaunch, CODEX_INSTALL_HINT } from "./adapters/codex.js";
export { buildCommandLaunch } from "./adapters/command.js";
export { claudeConfigPath, trustClaudeFolder, type TrustResult } from "./adapters/claude-trust.js";
export { agentDirPath, cleanupAgentDir, sweepAgentDirs } from "./adapters/agent-dir.js";
export { agentInstructions, CLUSTR_TOOLS } from "./adapters/instructions.js";
export { resolveExecutable } from "./adapters/resolve-executable.js";
export { tomlString } from "./adapters/toml.js";
export type { AdapterInput, BridgeLauncher, LaunchSpec, McpServerEntry } from "./adapters/types.js";
export { spawnPty } from "./session/pty-session.js";
export type {
  ActivityChange,
  Disposable,
  ByteListener,
  OutputListener,
  PtyExit,
  PtySession,
  PtySessionOptions,
  ScreenClassifier,
  Subscription,
} from "./session/types.js";
export { inject, inputShowsText, type InjectOptions, type InjectResult, type InjectTarget } from "./inject.js";
export { splitForPaste, type PastePieces } from "./paste-pieces.js";
export { runStartup, type StartupOptions, type StartupResult, type StartupSession } from "./startup.js";
