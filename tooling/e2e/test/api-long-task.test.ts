// e2e: a task at the protocol's size limit, spawned through Clustr's HTTP API, is the first user
// turn of each real CLI exactly as written (Claude 2.1.330 would wrap it if it went as one paste).
import { describe, expect, it } from "vitest";
import { LIMITS, utf8Length } from "@clustr/protocol";
import { waitFor } from "@clustr/test-utils";
import { E2E_CLIS } from "../src/index.js";
import { AGENT_TIMEOUT_MS, useApiFixture, withDiagnostics } from "./helpers/api-fixture.js";

/** Lines of varied length and script, cut to exactly `bytes` UTF-8 bytes, ending on a visible character. */
function taskOfBytes(bytes: number): string {
  const lines: string[] = [];
  for (let i = 0; utf8Length(lines.join("\n")) < bytes; i++) {
    lines.push(`Schritt ${i}: prüfe „my.project“ — naïve café 日本語 ✓ 🚀 ${"and explain why ".repeat(i % 11)}end`);
  }
  let text = lines.join("\n");
  while (utf8Length(text) > bytes || /\s$/.test(text)) text = text.slice(0, -1);
  // A lone high surrogate left by the cut would not survive the trip: drop it.
  if (/[\uD800-\uDBFF]$/.test(text)) text = text.slice(0, -1);
  return text.padEnd(text.length + (bytes - utf8Length(text)), "x");
}

describe.each(E2E_CLIS.map((c) => c.id))("e2e api long task %s", (cli) => {
  const start = useApiFixture();

  it(
    "gives the CLI a task of the largest allowed size as its first user turn, exactly",
    async () => {
      const task = taskOfBytes(LIMITS.taskMaxBytes);
      expect(utf8Length(task)).toBe(LIMITS.taskMaxBytes);
      expect(task.split("\n").length).toBeGreaterThan(300);
      const f = await start(cli);
      const created = await f.spawn({ name: "big", task });
      const first = await withDiagnostics(f, () =>
        waitFor(() => f.turnsOf(created)[0], { timeoutMs: AGENT_TIMEOUT_MS, intervalMs: 250, what: "the first turn of the big task" }),
      );
      const got = first.view?.userTexts[0] ?? "";
      // Where it differs, say where: a diff of 64 KiB is unreadable.
      let at = 0;
      while (at < task.length && task[at] === got[at]) at++;
      expect({ length: got.length, firstDifference: at === task.length && got.length === task.length ? -1 : at }).toEqual({ length: task.length, firstDifference: -1 });
      expect(got).toBe(task);
    },
    AGENT_TIMEOUT_MS * 2,
  );
});
