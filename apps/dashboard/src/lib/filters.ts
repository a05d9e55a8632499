import type { FileEvent, Message } from "@clustr/protocol";

/** Messages sent or received by `agentId`; all of them when it is empty. `"user"` picks the user's. */
export function filterMessages(messages: readonly Message[], agentId: string): readonly Message[] {
  if (agentId === "") return messages;
  if (agentId === "user") return messages.filter((m) => m.from === null);
  return messages.filter((m) => m.from === agentId || m.to === agentId);
}

/**
 * File events attributed to `agentId` (all when empty) whose path contains `pathQuery`
 * (case-insensitive; all when empty). `"user"` picks changes no agent was running for.
 */
export function filterFiles(events: readonly FileEvent[], agentId: string, pathQuery: string): readonly FileEvent[] {
  const needle = pathQuery.trim().toLowerCase();
  return events.filter((e) => {
    if (agentId === "user" ? e.agentIds.length > 0 : agentId !== "" && !e.agentIds.includes(agentId)) return false;
    return needle === "" || e.path.toLowerCase().includes(needle) || e.cwd.toLowerCase().includes(needle);
  });
}
