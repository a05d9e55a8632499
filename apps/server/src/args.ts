import { statSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { ClustrError } from "@clustr/protocol";
import { resolveDataDir } from "@clustr/store";

/** The port tried first when `--port` is not given; a busy one moves on to the next free port. */
export const DEFAULT_PORT = 4777;

/** Live agents allowed at once unless `--max-agents` or `CLUSTR_MAX_AGENTS` says otherwise. */
export const DEFAULT_MAX_AGENTS = 20;

/** The only address the server binds, whatever loopback name the user gave. */
export const BIND_ADDRESS = "127.0.0.1";

/** What `clustr-ai` was asked to do. */
export type Command =
  | { kind: "help" }
  | { kind: "version" }
  | { kind: "serve"; config: LaunchConfig };

/** Settings of one server start, from the flags and the environment. */
export interface LaunchConfig {
  /** The project folder agents work in by default (`[folder]`, else the current folder). */
  projectDir: string;
  dataDir: string;
  /** The port to try first; 0 lets the system pick a free one. */
  port: number;
  /** The address to bind: always 127.0.0.1 (`localhost` would bind ::1 too). */
  host: typeof BIND_ADDRESS;
  maxAgents: number;
  /** False with `--no-open`; the launcher also checks `BROWSER` and whether stdout is a terminal. */
  open: boolean;
}

/** The text of `clustr-ai --help`. */
export const USAGE = `Usage: clustr-ai [folder] [options]

Start the Clustr server for a project folder (default: the current folder) and open
the dashboard in the browser.

Options:
  --port N         port to listen on (default ${DEFAULT_PORT}; a busy port moves to the next
                   free one; 0 picks any free port)
  --host H         address to listen on: loopback only (127.0.0.1, localhost)
  --data-dir D     data folder (default: $CLUSTR_HOME, else ~/.clustr)
  --max-agents N   most agents running at once (default: $CLUSTR_MAX_AGENTS, else ${DEFAULT_MAX_AGENTS})
  --no-open        do not open the browser (also: BROWSER=none, or stdout not a terminal)
  -h, --help       show this help
  -v, --version    show the version
`;

function usageError(message: string): ClustrError {
  return new ClustrError("bad_request", message, { hint: "run clustr-ai --help for the options" });
}

function parseInteger(value: string, what: string, min: number, max: number): number {
  if (!/^\d+$/.test(value.trim())) throw usageError(`${what} must be a whole number, got "${value}"`);
  const n = Number(value.trim());
  if (n < min || n > max) throw usageError(`${what} must be between ${min} and ${max}, got ${n}`);
  return n;
}

function parseHost(value: string): typeof BIND_ADDRESS {
  const host = value.trim().toLowerCase();
  if (host === "127.0.0.1" || host === "localhost") return BIND_ADDRESS;
  if (host === "::1" || host === "[::1]" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)) {
    throw usageError(`--host ${value}: only 127.0.0.1 is supported for now (agents and server.json use http://127.0.0.1:PORT)`);
  }
  throw usageError(
    `--host ${value}: clustr-ai listens on loopback only (127.0.0.1 or localhost); anyone who can reach the port could drive your agents`,
  );
}

/**
 * Parse the command line (`[folder] [--port N] [--host H] [--data-dir D] [--max-agents N]
 * [--no-open] [--help] [--version]`) and the environment. Throws a ClustrError with a readable
 * message on anything it does not understand.
 */
export function parseCommandLine(argv: readonly string[], env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): Command {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    // Node appends advice about `--` that does not apply here; the first sentence says it all.
    throw usageError((error as Error).message.split(/\.\s/)[0] ?? "invalid arguments");
  }
  const { values, positionals } = parsed;
  if (values.help) return { kind: "help" };
  if (values.version) return { kind: "version" };
  if (positionals.length > 1) throw usageError(`expected at most one folder, got ${positionals.length}: ${positionals.join(" ")}`);

  const projectDir = resolve(cwd, positionals[0] ?? ".");
  let isDir: boolean;
  try {
    isDir = statSync(projectDir).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir) throw new ClustrError("cwd_not_found", `folder ${projectDir} does not exist or is not a folder`);

  const maxAgentsText = values["max-agents"] ?? env.CLUSTR_MAX_AGENTS;
  const maxAgentsWhat = values["max-agents"] !== undefined ? "--max-agents" : "CLUSTR_MAX_AGENTS";
  return {
    kind: "serve",
    config: {
      projectDir,
      dataDir: resolveDataDir(values["data-dir"] === undefined ? undefined : resolve(cwd, values["data-dir"]), env),
      port: values.port === undefined ? DEFAULT_PORT : parseInteger(values.port, "--port", 0, 65535),
      host: values.host === undefined ? BIND_ADDRESS : parseHost(values.host),
      maxAgents: maxAgentsText === undefined || maxAgentsText === "" ? DEFAULT_MAX_AGENTS : parseInteger(maxAgentsText, maxAgentsWhat, 1, 10_000),
      open: !values["no-open"],
    },
  };
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      port: { type: "string" },
      host: { type: "string" },
      "data-dir": { type: "string" },
      "max-agents": { type: "string" },
      "no-open": { type: "boolean" },
      help: { type: "boolean", short: "h" },
      version: { type: "boolean", short: "v" },
    },
  });
}
