import { spawn } from "node:child_process";
import { waitFor } from "@clustr/test-utils";
import { describe, expect, it } from "vitest";
import { endGroup, groupExists, processExists, processStartTime } from "../src/index.js";

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

  it("end a whole process group, grandchildren included, even one that ignores SIGTERM", async () => {
    // A shell in its own group that starts a grandchild ignoring SIGTERM.
    const child = spawn("bash", ["-c", "trap '' TERM; sleep 60 & echo $!; wait"], { detached: true, stdio: ["ignore", "pipe", "ignore"] });
    const grandchild = Number(await new Promise<string>((resolve) => child.stdout.once("data", (d: Buffer) => resolve(d.toString().trim()))));
    expect(processExists(grandchild)).toBe(true);
    expect(groupExists(child.pid!)).toBe(true);
    await endGroup(child.pid!, 300);
    await waitFor(() => !processExists(grandchild), { what: "grandchild gone" });
    expect(groupExists(child.pid!)).toBe(false);
  });
});
