/** The collaboration tools of the clustr MCP server (DESIGN.md "The bridge"). */
export const CLUSTR_TOOLS = [
  "send_message",
  "read_messages",
  "wait_for_message",
  "list_agents",
  "get_context",
  "set_context",
  "list_context",
  "delete_context",
  "spawn_agent",
  "get_rules",
] as const;

/**
 * The agent's identity and the shared rules, for the CLI's system (Claude) or developer
 * (Codex) instructions. `toolPrefix` is how the CLI names the clustr tools to its model.
 */
export function agentInstructions(input: { agentId: string; name: string; cwd: string; rulesText: string; toolPrefix: string }): string {
  const tools = CLUSTR_TOOLS.map((tool) => `${input.toolPrefix}${tool}`).join(", ");
  const rules = input.rulesText.trim() === "" ? "(none yet)" : input.rulesText.trimEnd();
  return [
    `You are agent ${input.name} (id ${input.agentId}) in a Clustr workspace: several coding agents work side by side on the same code and talk to each other. Your working folder is ${input.cwd}.`,
    `Collaborate through the clustr MCP tools (${tools}).`,
    "- Your task is the first user message.",
    '- A line starting with "[clustr]" is a notice from Clustr, not from the user: call read_messages to read the message it announces, or get_rules when it says the rules changed.',
    "- Report progress and results with send_message to whoever gave you the task; share facts other agents need with set_context; use wait_for_message when you must wait for an answer.",
    "",
    "Rules shared by every agent in this workspace:",
    rules,
  ].join("\n");
}
