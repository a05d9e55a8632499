import { describe, expect, it } from "vitest";
import { BRIDGE_ROUTES, BRIDGE_TOOL_NAMES, BridgeToolInputSchemas, BridgeToolResultSchemas, LIMITS } from "../src/index.js";

describe("bridge tools", () => {
  it("are exactly the tools of DESIGN.md", () => {
    expect([...BRIDGE_TOOL_NAMES].sort()).toEqual(
      ["send_message", "read_messages", "wait_for_message", "list_agents", "get_context", "set_context", "list_context", "delete_context", "spawn_agent", "get_rules"].sort(),
    );
    expect(Object.keys(BridgeToolResultSchemas).sort()).toEqual([...BRIDGE_TOOL_NAMES].sort());
    expect(BRIDGE_ROUTES.tool("send_message")).toBe("/api/bridge/tools/send_message");
  });
  it("bound wait_for_message under Codex's 60 s tool timeout", () => {
    expect(BridgeToolInputSchemas.wait_for_message.parse({})).toEqual({ timeout_s: 30 });
    expect(BridgeToolInputSchemas.wait_for_message.safeParse({ timeout_s: LIMITS.waitForMessageMaxSeconds }).success).toBe(true);
    expect(BridgeToolInputSchemas.wait_for_message.safeParse({ timeout_s: 51 }).success).toBe(false);
    expect(BridgeToolInputSchemas.wait_for_message.safeParse({ timeout_s: -1 }).success).toBe(false);
  });
  it("validate tool inputs with the same limits as the API", () => {
    expect(BridgeToolInputSchemas.send_message.safeParse({ to: "*", body: "hi" }).success).toBe(true);
    expect(BridgeToolInputSchemas.send_message.safeParse({ to: "b", body: "x".repeat(LIMITS.messageBodyMaxBytes + 1) }).success).toBe(false);
    expect(BridgeToolInputSchemas.set_context.safeParse({ key: "k", value: "v", version: 1 }).success).toBe(true);
    expect(BridgeToolInputSchemas.spawn_agent.safeParse({ name: "h", kind: "codex", task: "t" }).success).toBe(true);
    expect(BridgeToolInputSchemas.spawn_agent.safeParse({ name: "h", kind: "codex", task: "t", cwd: "rel" }).success).toBe(false);
    expect(BridgeToolInputSchemas.read_messages.safeParse({ as: "someone-else" }).success).toBe(false);
  });
});
