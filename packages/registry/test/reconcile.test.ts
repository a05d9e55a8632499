import { spawn } from "node:child_process";
import { makeTempDir, waitFor } from "@clustr/test-utils";
import { openStore } from "@clustr/store";
import { describe, expect, it } from "vitest";
import { processExists, processStartTime, reconcileAtStart, sessionMembers } from "../src/index.js";

describe("reconcileAtStart", () => {
  it("marks agents left live as killed, ends their surviving processes, and spares a pid that was reused", async () => {
    const dir = await makeTempDir();
    const store = openStore({ dataDir: dir.path });
    // A surviving agent: a session leader with a background job in a group of its own.
    const survivor = spawn("setsid", ["bash", "-c", "set -m; sleep 60 & echo $!; wait"], { stdio: ["ignore", "pipe", "ignore"] });
    const job = Number(await new Promise<string>((resolve) => survivor.stdout.once("data", (d: Buffer) => resolve(d.toString().trim()))));
    // A stranger holding the pid recorded for another agent (its start time does not match).
    const stranger = spawn("sleep", ["60"], { stdio: "ignore" });

    const a = store.agents.create({ name: "a", kind: "command", task: "", cwd: dir.path, command: "bash" });
    store.agents.update(a.id, { status: "running", pid: survivor.pid!, processStartTime: processStartTime(survivor.pid!) });
    const b = store.agents.create({ name: "b", kind: "command", task: "", cwd: dir.path, command: "bash" });
    store.agents.update(b.id, { status: "running", pid: stranger.pid!, processStartTime: "1" });
    const ended = store.agents.create({ name: "c", kind: "command", task: "", cwd: dir.path, command: "bash" });
    store.agents.update(ended.id, { status: "done" });

    const live = store.agents.listLive().map((agent) => ({ ...agent, processStartTime: store.agents.getInternal(agent.id)!.processStartTime }));
    const result = await reconcileAtStart({ live, update: (id, patch) => store.agents.update(id, patch) });

    expect(result.map((agent) => agent.name).sort()).toEqual(["a", "b"]);
    for (const agent of result) expect(agent).toMatchObject({ status: "killed", error: { code: "server_restart" } });
    expect(store.agents.get(ended.id)?.status).toBe("done");
    await waitFor(() => !processExists(job) && sessionMembers(survivor.pid!).length === 0, { what: "survivor's session gone" });
    expect(processExists(stranger.pid!)).toBe(true);
    stranger.kill("SIGKILL");
    await store.close();
    await dir.cleanup();
  });

  it("ends what an agent left in its session after its leader died with the server's terminal", async () => {
    const dir = await makeTempDir();
    const store = openStore({ dataDir: dir.path });
    // The leader starts a job that ignores SIGHUP in a group of its own, then exits.
    const leader = spawn("setsid", ["bash", "-c", "set -m; (trap '' HUP; exec sleep 60) & echo $!"], { stdio: ["ignore", "pipe", "ignore"] });
    const leaderStart = await waitFor(() => processStartTime(leader.pid!), { what: "leader start time" });
    const job = Number(await new Promise<string>((resolve) => leader.stdout.once("data", (d: Buffer) => resolve(d.toString().trim()))));
    await waitFor(() => !processExists(leader.pid!) || processStartTime(leader.pid!) === null, { what: "leader gone" });
    expect(sessionMembers(leader.pid!)).toContain(job);

    const a = store.agents.create({ name: "a", kind: "command", task: "", cwd: dir.path, command: "bash" });
    store.agents.update(a.id, { status: "running", pid: leader.pid!, processStartTime: leaderStart });
    const live = store.agents.listLive().map((agent) => ({ ...agent, processStartTime: store.agents.getInternal(agent.id)!.processStartTime }));
    await reconcileAtStart({ live, update: (id, patch) => store.agents.update(id, patch) });

    await waitFor(() => !processExists(job), { what: "orphaned job gone" });
    await store.close();
    await dir.cleanup();
  });
});
