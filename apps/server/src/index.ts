export { buildServer, type ServerOptions } from "./server.js";
export { cookieName, type Principal, type VerifyAgentToken } from "./security.js";
export { toErrorReply, type ErrorReply } from "./error-handler.js";
export { type LogOptions } from "./logging.js";
export { generateToken, tokensEqual } from "./token.js";
export { VERSION } from "./version.js";
