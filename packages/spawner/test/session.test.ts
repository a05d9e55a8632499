import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { isAlive, waitFor } from "@clustr/test-utils";
import { describe, expect, it } from "vitest";
import { isClustrError } from "@clustr/protocol";
import { classifyCommandScreen } from "../src/index.js";
import { fixture, usePtyTestBed } from "./helpers.js";

const bed = usePtyTestBed("clustr-session-");
const start = bed.start;

function launchError(run: () => unknown): { code: string; hint: string | undefined } {
  try {
    run();
  } catch (error) {
    if (isClustrError(error)) return { code: error.code, hint: error.hint };
    throw error;
  }
  throw new Error("expected a launch error");
}

describe("spawnPty", () => {
  it("delivers output to subscribers and replays the scrollback to late ones", async () => {
    const session = start({ file: "bash", args: ["--norc", "--noprofile", "-c", 'printf "one\\n"; sleep 0.3; printf "two\\n"'], cwd: bed.tmp.path });
    let live = "";
    session.subscribe((data) => {
      live += data;
    });
    const exit = await session.exited;
    expect(exit.exitCode).toBe(0);
    expect(live).toBe("one\r\ntwo\r\n");
    let replayed = "";
    session.subscribe((data) => {
      replayed += data;
    }, { replay: true });
    expect(replayed).toBe("one\r\ntwo\r\n");
    expect(session.scrollback()).toBe("one\r\ntwo\r\n");
    expect(await session.settledScreen()).toMatch(/^one\ntwo\n/);
  });

  it("runs the program with an argv array, never through a shell", async () => {
    const session = start({ file: "printf", args: ["%s|", "$HOME", "a b", "; touch x"], cwd: bed.tmp.path });
    let out = "";
    session.subscribe((data) => {
      out += data;
    });
    await session.exited;
    expect(out).toBe("$HOME|a b|; touch x|");
  });

  it("sets TERM, COLORTERM and SHLVL for the child", async () => {
    const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", TMUX: "/tmp/tmux-1/default,1,0" };
    const session = start({ file: "bash", args: ["--norc", "--noprofile", "-c", 'echo "$TERM|$COLORTERM|$SHLVL|${TMUX-unset}"'], cwd: bed.tmp.path, env });
    let out = "";
    session.subscribe((data) => {
      out += data;
    });
    await session.exited;
    // bash raises SHLVL by one: it was given 1.
    expect(out.trim()).toBe("xterm-256color|truecolor|2|unset");
  });

  it("keeps multi-byte characters whole when the program splits them across writes", async () => {
    const session = start({ file: process.execPath, args: [fixture("split-utf8.mjs")], cwd: bed.tmp.path });
    const pieces: string[] = [];
    session.subscribe((data) => {
      pieces.push(data);
    });
    await session.exited;
    expect(pieces.join("")).toBe("é🎉 END\r\n");
    expect(pieces.join("")).not.toContain("\uFFFD");
    expect(session.scrollback()).toBe("é🎉 END\r\n");
  });

  it("gives byte subscribers the same output as UTF-8 bytes, each piece made of whole characters", async () => {
    const session = start({ file: process.execPath, args: [fixture("split-utf8.mjs")], cwd: bed.tmp.path });
    const pieces: Buffer[] = [];
    let text = "";
    session.subscribeBytes((bytes) => {
      pieces.push(Buffer.from(bytes));
    });
    session.subscribe((data) => {
      text += data;
    });
    await session.exited;
    for (const piece of pieces) expect(new TextDecoder("utf-8", { fatal: true }).decode(piece)).not.toContain("\uFFFD");
    expect(Buffer.concat(pieces).toString("utf8")).toBe("é🎉 END\r\n");
    expect(text).toBe("é🎉 END\r\n");
    const replayed: Buffer[] = [];
    session.subscribeBytes((bytes) => {
      replayed.push(bytes);
    }, { replay: true });
    expect(Buffer.concat(replayed)).toEqual(Buffer.from("é🎉 END\r\n"));
  });

  it("resizes the pty and the screen model", async () => {
    const session = start({ file: process.execPath, args: [fixture("report-size.mjs")], cwd: bed.tmp.path, cols: 90, rows: 20 });
    await waitFor(() => session.scrollback().includes("SIZE 90x20"), { what: "first size" });
    expect((await session.settledScreen()).split("\n")).toHaveLength(20);
    session.resize(100, 30);
    expect([session.cols, session.rows]).toEqual([100, 30]);
    await waitFor(() => session.scrollback().includes("SIZE 100x30"), { what: "size after resize" });
    const screen = await session.settledScreen();
    expect(screen.split("\n")).toHaveLength(30);
    expect(screen).toContain("SIZE 100x30");
    expect(() => session.resize(0, 10)).toThrow(/not valid/);
  });

  it("keeps the scrollback within its byte bound, holding the newest output", async () => {
    const file = join(bed.tmp.path, "out.txt");
    writeFileSync(file, `${"x".repeat(99)}\n`.repeat(2000) + "LAST-LINE");
    const session = start({ file: "cat", args: [file], cwd: bed.tmp.path, scrollbackBytes: 10_000 });
    await session.exited;
    const kept = session.scrollback();
    expect(Buffer.byteLength(kept)).toBeLessThanOrEqual(10_000);
    expect(Buffer.byteLength(kept)).toBeGreaterThan(9_000);
    expect(kept.endsWith(`${"x".repeat(99)}\r\nLAST-LINE`)).toBe(true);
  });

  it("shows the final screen after a flood larger than the screen model keeps", async () => {
    const file = join(bed.tmp.path, "flood.txt");
    writeFileSync(file, Array.from({ length: 60_000 }, (_, i) => `line ${i} ${"-".repeat(40)}`).join("\n"));
    const session = start({ file: "cat", args: [file], cwd: bed.tmp.path, cols: 80, rows: 10 });
    await session.exited;
    const rows = (await session.settledScreen()).split("\n");
    expect(rows).toHaveLength(10);
    expect(rows.slice(-3)).toEqual([`line 59997 ${"-".repeat(40)}`, `line 59998 ${"-".repeat(40)}`, `line 59999 ${"-".repeat(40)}`]);
  });

  it("kills the whole process group: the child and its grandchild", async () => {
    const session = start({ file: "bash", args: ["--norc", "--noprofile", "-c", 'sleep 1000 & echo "GRANDCHILD $!"; wait'], cwd: bed.tmp.path });
    const match = await waitFor(() => /GRANDCHILD (\d+)/.exec(session.scrollback()) ?? undefined, { what: "grandchild pid" });
    const grandchild = Number(match[1]);
    expect(isAlive(session.pid)).toBe(true);
    expect(isAlive(grandchild)).toBe(true);
    session.kill();
    const exit = await session.exited;
    expect(exit.signal).toBe(15);
    await waitFor(() => !isAlive(grandchild), { what: "grandchild gone" });
    expect(isAlive(session.pid)).toBe(false);
    expect(() => session.write("x")).toThrow(/exited/);
  });

  it("close() ends a group that ignores SIGTERM", async () => {
    const session = start({ file: "bash", args: ["--norc", "--noprofile", "-c", 'trap "" TERM; sleep 1000 & echo "GRANDCHILD $!"; wait'], cwd: bed.tmp.path });
    const match = await waitFor(() => /GRANDCHILD (\d+)/.exec(session.scrollback()) ?? undefined, { what: "grandchild pid" });
    await session.close({ graceMs: 300 });
    expect(session.exit?.signal).toBe(9);
    await waitFor(() => !isAlive(Number(match[1])), { what: "grandchild gone" });
  });

  it("reports busy while a plain program prints and idle after a quiet period", async () => {
    const session = start({ file: process.execPath, args: [fixture("ticker.mjs"), "600"], cwd: bed.tmp.path, quietMs: 300 });
    const changes: string[] = [];
    session.onActivity((change) => changes.push(`${change.previous}->${change.activity}`));
    await waitFor(() => session.scrollback().includes("tick"), { what: "first tick" });
    expect(session.activity).toBe("busy");
    await waitFor(() => session.scrollback().includes("QUIET"), { what: "ticker done" });
    await waitFor(() => session.activity === "idle", { what: "idle" });
    expect(changes.at(-1)).toBe("busy->idle");
  });

  it("reads activity from the screen with a classifier", async () => {
    const session = start({
      file: "bash",
      args: ["--norc", "--noprofile", "-c", 'echo WORKING; sleep 0.4; echo "READY>"; sleep 1000'],
      cwd: bed.tmp.path,
      classify: (text) => (text.includes("READY>") ? { activity: "idle", inputText: "" } : { activity: "busy" }),
    });
    const seen: string[] = [];
    session.onActivity((change) => seen.push(change.activity));
    await waitFor(() => session.activity === "idle", { what: "idle screen" });
    expect(session.screenState).toEqual({ activity: "idle", inputText: "" });
    expect(seen).toEqual(["idle"]);
  });

  it("with activity from output and a classifier, a quiet question is needs-input", { timeout: 20_000 }, async () => {
    const session = start({
      file: "bash",
      args: ["--norc", "--noprofile", "-c", 'for i in 1 2 3; do echo "step $i"; sleep 0.1; done; read -p "Overwrite the file? [y/N] " answer; for i in 1 2 3 4 5 6; do echo "got $answer $i"; done; sleep 1000'],
      cwd: bed.tmp.path,
      classify: classifyCommandScreen,
      activityFrom: "output",
      quietMs: 300,
    });
    expect(session.hasClassifier).toBe(false);
    const seen: string[] = [];
    session.onActivity((change) => seen.push(change.activity));
    await waitFor(() => session.activity === "needs-input", { what: "needs-input" });
    expect(seen[0]).toBe("needs-input");
    session.write("y\r");
    await waitFor(() => session.scrollback().includes("got y 6"), { what: "answer taken" });
    await waitFor(() => session.activity === "idle", { what: "idle after the answer" });
  });

  describe("launch errors, found before anything starts", () => {
    it("cli_not_found with the install hint", () => {
      const error = launchError(() =>
        start({ file: "clustr-no-such-cli", cwd: bed.tmp.path, env: { PATH: bed.tmp.path }, installHint: "npm i -g clustr-no-such-cli" }),
      );
      expect(error).toEqual({ code: "cli_not_found", hint: "npm i -g clustr-no-such-cli" });
      expect(launchError(() => start({ file: "./missing", cwd: bed.tmp.path })).code).toBe("cli_not_found");
    });

    it("not_executable for a file without the x bit and for a folder", () => {
      const script = join(bed.tmp.path, "script.sh");
      writeFileSync(script, "#!/bin/sh\necho hi\n");
      chmodSync(script, 0o644);
      mkdirSync(join(bed.tmp.path, "dir"));
      expect(launchError(() => start({ file: script, cwd: bed.tmp.path })).code).toBe("not_executable");
      expect(launchError(() => start({ file: "./dir", cwd: bed.tmp.path })).code).toBe("not_executable");
    });

    it("cwd_not_found for a missing folder or a file", () => {
      writeFileSync(join(bed.tmp.path, "file"), "");
      expect(launchError(() => start({ file: "bash", cwd: join(bed.tmp.path, "nope") })).code).toBe("cwd_not_found");
      expect(launchError(() => start({ file: "bash", cwd: join(bed.tmp.path, "file") })).code).toBe("cwd_not_found");
    });

    it("finds a relative path against cwd and a name on PATH", async () => {
      const script = join(bed.tmp.path, "hello.sh");
      writeFileSync(script, "#!/bin/sh\necho hello-from-script\n");
      chmodSync(script, 0o755);
      const relative = start({ file: "./hello.sh", cwd: bed.tmp.path });
      const onPath = start({ file: "hello.sh", cwd: "/", env: { PATH: `/usr/bin:/bin:${bed.tmp.path}` } });
      await Promise.all([relative.exited, onPath.exited]);
      expect(relative.scrollback()).toContain("hello-from-script");
      expect(onPath.scrollback()).toContain("hello-from-script");
    });
  });
});
