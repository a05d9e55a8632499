export { LIMITS, utf8Length } from "./limits.js";
export {
  ERROR_CODES,
  ERROR_STATUS,
  ErrorBodySchema,
  ErrorCodeSchema,
  ClustrError,
  isClustrError,
  type ErrorBody,
  type ErrorCode,
} from "./errors.js";
export * from "./entities.js";
export * from "./api.js";
export * from "./events.js";
export * from "./bridge.js";
