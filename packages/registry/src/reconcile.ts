import type { Agent, AgentError } from "@clustr/protocol";
import type { AgentStatusPatch } from "./liveness.js";
import { endSession, processStartTime, sessionMembers } from "./process.js";

/** The error recorded on agents that were live when an earlier server stopped. */
export const SERVER_RESTART_ERROR: AgentError = {
  code: "server_restart",
  message: "the agent was ended because the Clustr server restarted",
};

export interface ReconcileInput {
  /** Agents recorded as live (`starting` or `running`) by an earlier run. */
  live: readonly (Agent & { processStartTime: string | null })[];
  update: (id: string, patch: AgentStatusPatch) => Agent;
  now?: () => Date;
}

/**
 * At server start: mark every agent an earlier run left live as `killed` (reason: server
 * restart) and end those of its processes that still run — only when the pid still belongs to
 * the same process (same start time), never a stranger that reused the pid, or when the leader
 * is gone but its session lives on. Nothing is deleted. Returns the updated agents.
 */
export async function reconcileAtStart({ live, update, now = () => new Date() }: ReconcileInput): Promise<Agent[]> {
  const ended: Agent[] = [];
  await Promise.all(
    live.map(async (agent) => {
      if (agent.pid === null || agent.processStartTime === null) return;
      const leaderStart = processStartTime(agent.pid);
      // With the leader gone (its terminal closed when the server died), what it left in its
      // session may still run. The kernel never hands out a pid still used as a session id, so
      // members of that session are the agent's own, never a stranger's.
      if (leaderStart === agent.processStartTime || (leaderStart === null && sessionMembers(agent.pid).length > 0)) {
        await endSession(agent.pid);
      }
    }),
  );
  for (const agent of live) {
    ended.push(update(agent.id, { status: "killed", activity: null, error: SERVER_RESTART_ERROR, endedAt: now().toISOString() }));
  }
  return ended;
}
