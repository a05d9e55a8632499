export { buildServer, type ServerOptions } from "./server.js";
export { VERSION } from "./version.js";
