import type { Readable, Writable } from "node:stream";
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import {
  CallToolRequestSchema,
  ErrorCode as McpErrorCode,
  ListToolsRequestSchema,
  McpError,
  type CallToolResult,
  type JSONRPCMessage,
  type RequestId,
} from "@modelcontextprotocol/sdk/types.js";
import {
  BRIDGE_ROUTES,
  BRIDGE_SERVER_NAME,
  BridgeToolInputSchemas,
  BridgeToolResultSchemas,
  ClustrError,
  isClustrError,
  type BridgeToolName,
} from "@clustr/protocol";
import type { BridgeConfig } from "./config.js";
import { ServerClient } from "./server-client.js";
import { BRIDGE_INSTRUCTIONS, bridgeToolDefinitions, isBridgeToolName } from "./tools.js";

/** hello, ready and heartbeat are small: a server that takes longer is as good as gone. */
const CONTROL_TIMEOUT_MS = 10_000;
/** Ordinary tool calls answer at once (spawn_agent too: the agent starts in the background). */
const TOOL_TIMEOUT_MS = 45_000;
/** wait_for_message blocks server-side for timeout_s; allow for the answer to travel back. */
const WAIT_GRACE_MS = 15_000;

/** What {@link startBridge} needs. */
export interface BridgeOptions {
  config: BridgeConfig;
  /** The MCP stream from the CLI (stdin). Its end ends the bridge. */
  input: Readable;
  /** The MCP stream to the CLI (stdout): nothing else may write to it. */
  output: Writable;
  /** One line of diagnostics (stderr). */
  log: (line: string) => void;
  version: string;
}

/** A running bridge. */
export interface RunningBridge {
  /** Settles once the bridge has shut down (its input ended, or {@link RunningBridge.close}). */
  readonly closed: Promise<void>;
  close(): Promise<void>;
}

// The SDK resolves send() once the bytes are handed to the output stream: that is the moment
// the CLI can have the tool list, so the ready report hooks in here.
class ObservedStdioTransport extends StdioServerTransport {
  readonly #afterSend: (message: JSONRPCMessage) => void;

  constructor(input: Readable, output: Writable, afterSend: (message: JSONRPCMessage) => void) {
    super(input, output);
    this.#afterSend = afterSend;
  }

  override async send(message: JSONRPCMessage): Promise<void> {
    await super.send(message);
    this.#afterSend(message);
  }
}

/**
 * Start the `clustr` MCP server on `input`/`output`: POST hello to the Clustr server, answer
 * the CLI's requests, report ready once the first `tools/list` answer is out, and heartbeat
 * until the input ends.
 */
export async function startBridge(options: BridgeOptions): Promise<RunningBridge> {
  const { config, input, output, log } = options;
  const client = new ServerClient(config.url, config.token);
  const tools = bridgeToolDefinitions();

  // Control calls run one after the other so the server always sees hello before ready.
  let control: Promise<void> = Promise.resolve();
  let helloDone = false;
  let readyWanted = false;
  let readyDone = false;
  let heartbeatFailing = false;
  const enqueue = (step: () => Promise<void>): Promise<void> => {
    control = control.then(step, step);
    return control;
  };
  const sendHello = () =>
    enqueue(async () => {
      if (helloDone) return;
      try {
        await client.post(BRIDGE_ROUTES.hello, { pid: process.pid }, { timeoutMs: CONTROL_TIMEOUT_MS });
        helloDone = true;
        log(`connected to ${client.url} as agent ${config.agentId}`);
      } catch (error) {
        log(`hello failed, will retry: ${describe(error)}`);
      }
    });
  const sendReady = () =>
    enqueue(async () => {
      if (!helloDone || !readyWanted || readyDone) return;
      try {
        await client.post(BRIDGE_ROUTES.ready, {}, { timeoutMs: CONTROL_TIMEOUT_MS });
        readyDone = true;
        log("tools ready reported");
      } catch (error) {
        log(`ready report failed, will retry: ${describe(error)}`);
      }
    });
  const sendHeartbeat = () =>
    enqueue(async () => {
      try {
        await client.post(BRIDGE_ROUTES.heartbeat, {}, { timeoutMs: CONTROL_TIMEOUT_MS });
        if (heartbeatFailing) log("heartbeats reach the server again");
        heartbeatFailing = false;
      } catch (error) {
        if (!heartbeatFailing) log(`heartbeat failed: ${describe(error)}`);
        heartbeatFailing = true;
      }
    });

  let ticking = false;
  const heartbeat = setInterval(() => {
    if (ticking) return;
    ticking = true;
    const step = helloDone ? sendHeartbeat() : sendHello();
    void step
      .then(() => sendReady())
      .finally(() => {
        ticking = false;
      });
  }, config.heartbeatMs);
  // stdin is what keeps the bridge alive; the timer must never hold the process on its own.
  heartbeat.unref();

  const listRequests = new Set<RequestId>();
  const afterSend = (message: JSONRPCMessage) => {
    if (!("id" in message) || !("result" in message) || !listRequests.delete(message.id)) return;
    if (readyWanted) return;
    readyWanted = true;
    void sendReady();
  };

  const server = new Server(
    { name: BRIDGE_SERVER_NAME, version: options.version },
    { capabilities: { tools: {} }, instructions: BRIDGE_INSTRUCTIONS },
  );
  server.setRequestHandler(ListToolsRequestSchema, (_request, extra) => {
    listRequests.add(extra.requestId);
    return { tools };
  });
  server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const { name, arguments: args } = request.params;
    if (!isBridgeToolName(name)) throw new McpError(McpErrorCode.InvalidParams, `unknown tool ${name}`);
    return callTool(client, name, args ?? {}, extra.signal);
  });
  server.onerror = (error) => log(`protocol error: ${error.message}`);

  let resolveClosed!: () => void;
  const closed = new Promise<void>((resolve) => {
    resolveClosed = resolve;
  });
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      clearInterval(heartbeat);
      input.off("end", close);
      input.off("close", close);
      output.off("error", onOutputError);
      client.close();
      await server.close().catch(() => undefined);
      resolveClosed();
    })();
    return closing;
  };
  const onOutputError = (error: Error) => {
    log(`output closed: ${error.message}`);
    void close();
  };
  input.once("end", close);
  input.once("close", close);
  output.on("error", onOutputError);

  void sendHello();
  await server.connect(new ObservedStdioTransport(input, output, afterSend));
  return { closed, close };
}

async function callTool(client: ServerClient, name: BridgeToolName, args: unknown, signal: AbortSignal): Promise<CallToolResult> {
  const parsed = BridgeToolInputSchemas[name].safeParse(args);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `${issue.path.length > 0 ? issue.path.join(".") : "input"}: ${issue.message}`);
    return errorResult(new ClustrError("validation_failed", `invalid input for ${name}: ${issues.join("; ")}`));
  }
  const input: Record<string, unknown> = parsed.data;
  const timeoutMs = typeof input.timeout_s === "number" ? input.timeout_s * 1000 + WAIT_GRACE_MS : TOOL_TIMEOUT_MS;
  try {
    const answer = await client.post(BRIDGE_ROUTES.tool(name), input, { timeoutMs, signal });
    const result = BridgeToolResultSchemas[name].safeParse(answer !== null && typeof answer === "object" ? (answer as { result?: unknown }).result : undefined);
    if (!result.success) {
      throw new ClustrError("internal", `the Clustr server sent an unexpected answer to ${name}: ${result.error.issues[0]?.message ?? "no result"}`);
    }
    const structured: Record<string, unknown> = result.data;
    return { content: [{ type: "text", text: JSON.stringify(structured, null, 2) }], structuredContent: structured };
  } catch (error) {
    return errorResult(error);
  }
}

function errorResult(error: unknown): CallToolResult {
  return { isError: true, content: [{ type: "text", text: describe(error) }] };
}

/** A readable one-line account of an error, with its code and hint when it has them. */
function describe(error: unknown): string {
  if (isClustrError(error)) return `${error.message}${error.hint ? ` (${error.hint})` : ""} [${error.code}]`;
  return error instanceof Error ? error.message : String(error);
}
