import type { FileEventKind } from "@clustr/protocol";
import { describe, expect, it } from "vitest";
import { mergeKinds } from "../src/files/merge-kinds.js";

/** Fold a sequence of changes to one path the way the watcher does within one window. */
const fold = (kinds: FileEventKind[]): FileEventKind | undefined =>
  kinds.reduce<FileEventKind | undefined>((earlier, later) => mergeKinds(earlier, later), undefined);

describe("mergeKinds", () => {
  it("keeps a single change as it is", () => {
    expect(fold(["add"])).toBe("add");
    expect(fold(["change"])).toBe("change");
    expect(fold(["unlink"])).toBe("unlink");
  });

  it("lets the later kind win", () => {
    expect(fold(["change", "change", "change"])).toBe("change");
    expect(fold(["change", "unlink"])).toBe("unlink");
  });

  it("keeps a new file new while it is written", () => {
    expect(fold(["add", "change", "change"])).toBe("add");
  });

  it("drops a file added and removed within the window, and starts over after", () => {
    expect(fold(["add", "change", "unlink"])).toBeUndefined();
    expect(fold(["add", "unlink", "add"])).toBe("add");
  });

  it("reports a file removed and added again as changed", () => {
    expect(fold(["unlink", "add"])).toBe("change");
    expect(fold(["unlink", "add", "change"])).toBe("change");
    expect(fold(["change", "unlink", "add", "unlink"])).toBe("unlink");
  });
});
