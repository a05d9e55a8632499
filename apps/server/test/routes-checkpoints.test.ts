import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { waitFor } from "@clustr/test-utils";
import type { DiffResponse, RollbackResponse } from "@clustr/protocol";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { spawnBash, startHarness, USER, waitRunning, type Harness } from "./workspace-harness.js";

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

describe("diff and rollback routes", () => {
  it("show what an agent changed, preview and apply a rollback, then undo it", async () => {
    writeFileSync(join(h.project.path, "a.txt"), "original\n");
    const agent = await spawnBash(h, "editor", "echo changed > a.txt; echo new > b.txt; echo edits-done");
    await waitRunning(h, agent.id);
    await waitFor(() => /^edits-done$/m.test(h.workspace.screen(agent.id)), { timeoutMs: 30_000, what: "edits" });

    const diff = await h.app.inject({ method: "GET", url: `/api/agents/${agent.id}/diff`, headers: USER });
    expect(diff.statusCode).toBe(200);
    const files = (diff.json() as DiffResponse).files;
    expect(files.map((f) => [f.path, f.status, f.binary])).toEqual([
      ["a.txt", "modified", false],
      ["b.txt", "added", false],
    ]);

    const preview = await h.app.inject({ method: "POST", url: `/api/agents/${agent.id}/rollback`, headers: USER, payload: { preview: true } });
    expect(preview.statusCode).toBe(200);
    expect((preview.json() as RollbackResponse).changed.map((c) => c.path)).toEqual(["a.txt", "b.txt"]);
    expect(readFileSync(join(h.project.path, "a.txt"), "utf8")).toBe("changed\n");

    const rollback = await h.app.inject({ method: "POST", url: `/api/agents/${agent.id}/rollback`, headers: USER, payload: { paths: ["a.txt"] } });
    expect(rollback.statusCode).toBe(200);
    expect((rollback.json() as RollbackResponse).undoCheckpointId).toBeTruthy();
    expect(readFileSync(join(h.project.path, "a.txt"), "utf8")).toBe("original\n");
    expect(existsSync(join(h.project.path, "b.txt"))).toBe(true);

    const undo = await h.app.inject({ method: "POST", url: `/api/agents/${agent.id}/rollback`, headers: USER, payload: { undo: true } });
    expect(undo.statusCode).toBe(200);
    expect(readFileSync(join(h.project.path, "a.txt"), "utf8")).toBe("changed\n");
  });

  it("refuses paths outside the folder and unknown agents, touching nothing", async () => {
    writeFileSync(join(h.project.path, "a.txt"), "original\n");
    const agent = await spawnBash(h, "editor2", "echo changed > a.txt");
    await waitRunning(h, agent.id);
    const outside = await h.app.inject({ method: "POST", url: `/api/agents/${agent.id}/rollback`, headers: USER, payload: { paths: ["../x"] } });
    expect(outside.statusCode).toBe(400);
    expect(outside.json()).toMatchObject({ error: { code: "validation_failed" } });
    const missing = await h.app.inject({ method: "GET", url: "/api/agents/nobody/diff", headers: USER });
    expect(missing.statusCode).toBe(404);
    await waitFor(() => readFileSync(join(h.project.path, "a.txt"), "utf8") === "changed\n", { what: "agent's edit" });
  });
});
