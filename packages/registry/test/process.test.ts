import { spawn } from "node:child_process";
import { waitFor } from "@clustr/test-utils";
import { describe, expect, it } from "vitest";
import { endSession, processExists, processStartTime, sessionMembers } from "../src/index.js";

describe("process helpers", () => {
  it("read a process's start time, stable for the process and null once it is gone", async () => {
    const child = spawn("sleep", ["30"], { stdio: "ignore" });
    const pid = child.pid!;
    const start = processStartTime(pid);
    expect(start).toMatch(/^\d+$/);
    expect(processStartTime(pid)).toBe(start);
    expect(processStartTime(process.pid)).not.toBe(start);
    child.kill("SIGKILL");
    await new Promise((r) => child.once("exit", r));
    expect(processStartTime(pid)).toBeNull();
    expect(processExists(pid)).toBe(false);
  });
});

describe("sessions", () => {
  it("end background jobs that job control moved into process groups of their own", async () => {
    // setsid makes bash a session leader, like a pty does; `set -m` gives each job its own group.
    const child = spawn("setsid", ["bash", "-c", "set -m; sleep 60 & echo $!; wait"], { stdio: ["ignore", "pipe", "ignore"] });
    const job = Number(await new Promise<string>((resolve) => child.stdout.once("data", (d: Buffer) => resolve(d.toString().trim()))));
    const sid = child.pid!;
    await waitFor(() => sessionMembers(sid).includes(job), { what: "job in session" });
    expect(sessionMembers(sid)).toContain(sid);
    await endSession(sid, 300);
    await waitFor(() => !processExists(job), { what: "job gone" });
    expect(sessionMembers(sid)).toEqual([]);
  });

  it("end a session whose processes ignore SIGTERM, grandchildren included, with SIGKILL after the grace period", async () => {
    // `detached` makes the shell a session leader; the ignored TERM is inherited by its grandchild.
    const child = spawn("bash", ["-c", "trap '' TERM; sleep 60 & echo $!; wait"], { detached: true, stdio: ["ignore", "pipe", "ignore"] });
    const grandchild = Number(await new Promise<string>((resolve) => child.stdout.once("data", (d: Buffer) => resolve(d.toString().trim()))));
    const sid = child.pid!;
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once("exit", (_code, signal) => resolve(signal)));
    expect(sessionMembers(sid)).toEqual(expect.arrayContaining([sid, grandchild]));
    await endSession(sid, 300);
    await waitFor(() => !processExists(grandchild), { what: "grandchild gone" });
    expect(await exited).toBe("SIGKILL");
    expect(sessionMembers(sid)).toEqual([]);
  });
});
