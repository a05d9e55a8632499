import type { AgentKind } from "@clustr/protocol";
import { buildClaudeLaunch } from "./claude.js";
import { buildCodexLaunch } from "./codex.js";
import { buildCommandLaunch } from "./command.js";
import type { AdapterInput, LaunchSpec } from "./types.js";

/**
 * Build the launch of an agent of any kind: checks the input (bad input throws a
 * `ClustrError` and writes nothing), writes `agents/<id>/` and returns what to spawn.
 */
export function buildLaunch(kind: AgentKind, input: AdapterInput): Promise<LaunchSpec> {
  switch (kind) {
    case "claude":
      return buildClaudeLaunch(input);
    case "codex":
      return buildCodexLaunch(input);
    case "command":
      return buildCommandLaunch(input);
  }
}
