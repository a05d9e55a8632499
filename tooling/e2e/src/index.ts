export {
  startFakeModel,
  startFakeAnthropic,
  startFakeOpenAi,
  type FakeModelServer,
  type FakeModelOptions,
  type ModelApi,
  type RecordedRequest,
  type RequestKind,
} from "./fake-model-server.js";
export {
  DONE_TEXT,
  parseCallLines,
  decideAction,
  findOfferedTool,
  isContextText,
  type ScriptedReply,
  type ScriptedToolCall,
  type OfferedTool,
  type TurnView,
  type ModelAction,
} from "./model-script.js";
export { anthropicView } from "./anthropic-api.js";
export { openAiView } from "./openai-api.js";
export {
  E2E_CLIS,
  e2eCacheDir,
  packedInstallRecord,
  e2eCli,
  cliPrefix,
  cliBinPath,
  installCommand,
  installedVersion,
  installCli,
  installClis,
  requireCli,
  type E2eCli,
  type E2eCliId,
} from "./cli-install.js";
export { ISOLATED_ENV, isRoot, hasLoopbackOnly, isolatedArgv } from "./isolation.js";
export {
  startClustrServer,
  type ClustrServer,
  type ClustrServerOptions,
  type ApiAnswer,
  type EventStream,
} from "./clustr-server.js";
export { listProcesses, sessionProcesses, processesWithEnv, type ProcessInfo } from "./processes.js";
export { claudeEnv, cliBaseEnv, writeClaudeUserConfig, writeCodexUserConfig } from "./user-config.js";
