import { spawn, type ChildProcess } from "node:child_process";

/** How to start an MCP stdio server. */
export interface McpServerSpec {
  command: string;
  args: string[];
  env: Record<string, string>;
}

/**
 * Start an MCP stdio server the way a CLI does (initialize, initialized, tools/list) and report
 * the tool names. The server's stdin closes when the fake exits, which ends it.
 */
export function connectMcp(
  spec: McpServerSpec,
  onTools: (names: string[]) => void,
  onError: (message: string) => void,
): ChildProcess {
  const child = spawn(spec.command, spec.args, { env: { ...process.env, ...spec.env }, stdio: ["pipe", "pipe", "pipe"] });
  let buffer = "";
  let stderr = "";
  const send = (message: object): void => {
    child.stdin?.write(`${JSON.stringify({ jsonrpc: "2.0", ...message })}\n`);
  };
  child.on("error", (error) => onError(error.message));
  child.stderr?.setEncoding("utf8").on("data", (data: string) => (stderr += data));
  child.on("exit", (code) => {
    if (code !== 0 && code !== null) onError(`MCP server exited with ${code}: ${stderr.trim()}`);
  });
  child.stdout?.setEncoding("utf8").on("data", (data: string) => {
    buffer += data;
    let newline: number;
    while ((newline = buffer.indexOf("\n")) >= 0) {
      const line = buffer.slice(0, newline).trim();
      buffer = buffer.slice(newline + 1);
      if (!line) continue;
      let message: { id?: number; result?: { tools?: Array<{ name: string }> }; error?: { message: string } };
      try {
        message = JSON.parse(line) as typeof message;
      } catch {
        onError(`MCP server wrote a line that is not JSON: ${line.slice(0, 200)}`);
        continue;
      }
      if (message.error) onError(message.error.message);
      else if (message.id === 1) {
        send({ method: "notifications/initialized" });
        send({ id: 2, method: "tools/list", params: {} });
      } else if (message.id === 2) {
        onTools((message.result?.tools ?? []).map((tool) => tool.name));
      }
    }
  });
  send({
    id: 1,
    method: "initialize",
    params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "fake-tui", version: "0.0.0" } },
  });
  return child;
}
