import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeTempDir } from "@clustr/test-utils";
import { describe, expect, it } from "vitest";
import { readBridgeConfig } from "../src/index.js";

describe("readBridgeConfig", () => {
  it("reads identity from the environment and the token from a file", async () => {
    const dir = await makeTempDir();
    const file = join(dir.path, "token");
    writeFileSync(file, "secret-token\n", { mode: 0o600 });
    expect(readBridgeConfig([], { CLUSTR_URL: "http://127.0.0.1:4000", CLUSTR_AGENT_ID: "abc123", CLUSTR_AGENT_TOKEN_FILE: file })).toEqual({
      url: "http://127.0.0.1:4000",
      agentId: "abc123",
      token: "secret-token",
      heartbeatMs: 15_000,
    });
    expect(readBridgeConfig(["--url", "http://127.0.0.1:1", `--token-file=${file}`, "--agent-id", "x1y2"], {}).agentId).toBe("x1y2");
    await dir.cleanup();
  });

  it("refuses a token in argv and says what is missing", () => {
    expect(() => readBridgeConfig(["--token", "t"], {})).toThrow(/never passed as an argument/);
    expect(() => readBridgeConfig([], { CLUSTR_AGENT_ID: "a", CLUSTR_AGENT_TOKEN: "t" })).toThrow(/no server URL/);
    expect(() => readBridgeConfig([], { CLUSTR_URL: "http://127.0.0.1:1", CLUSTR_AGENT_TOKEN: "t" })).toThrow(/no agent id/);
    expect(() => readBridgeConfig([], { CLUSTR_URL: "http://127.0.0.1:1", CLUSTR_AGENT_ID: "a" })).toThrow(/no token/);
  });

  it("takes the heartbeat interval from CLUSTR_HEARTBEAT_MS and refuses nonsense", () => {
    const env = { CLUSTR_URL: "http://127.0.0.1:1", CLUSTR_AGENT_ID: "a", CLUSTR_AGENT_TOKEN: "t" };
    expect(readBridgeConfig([], { ...env, CLUSTR_HEARTBEAT_MS: "250" }).heartbeatMs).toBe(250);
    for (const bad of ["0", "-5", "1.5", "soon", "60000"]) {
      expect(() => readBridgeConfig([], { ...env, CLUSTR_HEARTBEAT_MS: bad }), bad).toThrow(/CLUSTR_HEARTBEAT_MS/);
    }
  });
});
