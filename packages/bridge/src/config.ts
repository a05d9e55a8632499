import { readFileSync } from "node:fs";
import { BRIDGE_ENV, HEARTBEAT_INTERVAL_MS } from "@clustr/protocol";

/** Environment variable that changes the heartbeat interval (milliseconds), for tests. */
export const HEARTBEAT_ENV = "CLUSTR_HEARTBEAT_MS";

/** What a bridge needs to reach the server as its agent. */
export interface BridgeConfig {
  url: string;
  agentId: string;
  token: string;
  /** Milliseconds between heartbeats: {@link HEARTBEAT_INTERVAL_MS} unless `CLUSTR_HEARTBEAT_MS` says otherwise. */
  heartbeatMs: number;
}

/** A configuration problem, reported on stderr before the bridge exits. */
export class BridgeConfigError extends Error {
  override name = "BridgeConfigError";
}

/**
 * Read the bridge's configuration from `--url`, `--agent-id`, `--token-file` arguments or the
 * environment (`CLUSTR_URL`, `CLUSTR_AGENT_ID`, `CLUSTR_AGENT_TOKEN` or
 * `CLUSTR_AGENT_TOKEN_FILE`). The token is never accepted as an argument: argv is visible to
 * every process of the machine. `CLUSTR_HEARTBEAT_MS` sets the heartbeat interval.
 */
export function readBridgeConfig(argv: readonly string[], env: NodeJS.ProcessEnv): BridgeConfig {
  const args = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? "";
    const [flag, inline] = arg.split(/=(.*)/s, 2) as [string, string | undefined];
    if (!["--url", "--agent-id", "--token-file"].includes(flag)) {
      throw new BridgeConfigError(arg.startsWith("--token") ? "the token is never passed as an argument: use CLUSTR_AGENT_TOKEN or --token-file" : `unknown argument ${arg}`);
    }
    const value = inline ?? argv[++i];
    if (value === undefined) throw new BridgeConfigError(`${flag} needs a value`);
    args.set(flag, value);
  }
  const url = args.get("--url") ?? env[BRIDGE_ENV.url];
  const agentId = args.get("--agent-id") ?? env[BRIDGE_ENV.agentId];
  const tokenFile = args.get("--token-file") ?? env[BRIDGE_ENV.tokenFile];
  if (!url) throw new BridgeConfigError(`no server URL: set ${BRIDGE_ENV.url} or pass --url`);
  if (!/^https?:\/\/[^/]+$/.test(url)) throw new BridgeConfigError(`${url} is not a server origin like http://127.0.0.1:4000`);
  if (!agentId) throw new BridgeConfigError(`no agent id: set ${BRIDGE_ENV.agentId} or pass --agent-id`);
  let token = env[BRIDGE_ENV.token];
  if (!token && tokenFile) {
    try {
      token = readFileSync(tokenFile, "utf8").trim();
    } catch (error) {
      throw new BridgeConfigError(`cannot read the token file ${tokenFile}: ${(error as Error).message}`);
    }
  }
  if (!token) throw new BridgeConfigError(`no token: set ${BRIDGE_ENV.token} or ${BRIDGE_ENV.tokenFile}`);
  return { url, agentId, token, heartbeatMs: readHeartbeatMs(env[HEARTBEAT_ENV]) };
}

function readHeartbeatMs(raw: string | undefined): number {
  if (raw === undefined || raw === "") return HEARTBEAT_INTERVAL_MS;
  const value = Number(raw);
  // Never slower than the default: the server sets its liveness timeout (60 s) against it.
  if (!Number.isInteger(value) || value < 10 || value > HEARTBEAT_INTERVAL_MS) {
    throw new BridgeConfigError(`${HEARTBEAT_ENV}=${raw} is not a whole number of milliseconds between 10 and ${HEARTBEAT_INTERVAL_MS}`);
  }
  return value;
}
