export { sanitizeText } from "./sanitize.js";
export { classify, classifyCommandScreen } from "./screens/classify.js";
export { classifyClaudeScreen } from "./screens/claude-screen.js";
export { classifyCodexScreen } from "./screens/codex-screen.js";
export { KEYS, screenLines } from "./screens/screen-lines.js";
export type { PromptId, ScreenBlocker, ScreenPrompt, ScreenState } from "./screens/types.js";
