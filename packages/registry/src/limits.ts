import { ClustrError } from "@clustr/protocol";

/** Defaults of DESIGN.md: at most 20 live agents, spawn depth 3. */
export const DEFAULT_MAX_AGENTS = 20;
export const DEFAULT_MAX_DEPTH = 3;

/**
 * Throw `limit_reached` when one more agent would pass the live-agent limit, or when a child
 * at `depth` (1 for an agent the user spawned) would be deeper than allowed.
 */
export function checkSpawnLimits(input: { liveAgents: number; depth: number; maxAgents?: number; maxDepth?: number }): void {
  const maxAgents = input.maxAgents ?? DEFAULT_MAX_AGENTS;
  const maxDepth = input.maxDepth ?? DEFAULT_MAX_DEPTH;
  if (input.liveAgents >= maxAgents) {
    throw new ClustrError("limit_reached", `${input.liveAgents} agents are running, the limit is ${maxAgents}`, {
      hint: "end an agent, or start clustr-ai with a higher --max-agents",
    });
  }
  if (input.depth > maxDepth) {
    throw new ClustrError("limit_reached", `spawn depth ${input.depth} is beyond the limit of ${maxDepth}`);
  }
}
