import { describe, expect, it } from "vitest";
import { CLAUDE_PASTE_PIECES, splitForPaste } from "../src/index.js";

const lineCount = (piece: string) => piece.split("\n").length - (piece.endsWith("\n") ? 1 : 0);

describe("splitForPaste", () => {
  it("keeps a text that fits as one piece", () => {
    expect(splitForPaste("fix the bug\nthen test", { maxChars: 600, maxLines: 3 })).toEqual(["fix the bug\nthen test"]);
    expect(splitForPaste("", { maxChars: 600, maxLines: 3 })).toEqual([]);
  });

  it("cuts after every second line feed, so no piece reaches three of them", () => {
    const pieces = splitForPaste("a\nb\nc\nd\ne", { maxChars: 600, maxLines: 3 });
    expect(pieces).toEqual(["a\nb\n", "c\nd\n", "e"]);
    expect(splitForPaste("\n\n\n\n\n", { maxChars: 600, maxLines: 3 })).toEqual(["\n\n", "\n\n", "\n"]);
  });

  it("cuts a long line after a space when one is near, else where the limit falls", () => {
    const words = "alpha beta gamma delta epsilon";
    expect(splitForPaste(words, { maxChars: 12, maxLines: 3 })).toEqual(["alpha beta ", "gamma delta ", "epsilon"]);
    expect(splitForPaste("x".repeat(25), { maxChars: 10, maxLines: 3 })).toEqual(["x".repeat(10), "x".repeat(10), "x".repeat(5)]);
  });

  it("never splits a grapheme cluster between two pastes", () => {
    const family = "👨\u200d👩\u200d👧";
    const accented = "e\u0301";
    const text = `${family}${accented}`.repeat(40);
    const pieces = splitForPaste(text, { maxChars: 7, maxLines: 3 });
    expect(pieces.join("")).toBe(text);
    for (const piece of pieces) {
      // Every piece is whole clusters: it starts with one and, cut into clusters, rebuilds itself.
      expect(piece.startsWith(family) || piece.startsWith(accented)).toBe(true);
      expect(piece.endsWith("👧") || piece.endsWith("\u0301")).toBe(true);
    }
  });

  it("gives back a long task of every kind of text exactly, each piece within Claude Code's limits", () => {
    const line = (i: number) => `Schritt ${i}: prüfe „my.project“ — naïve café 日本語 ✓ 🚀 ${"lorem ipsum ".repeat(i % 97)}`;
    const text = Array.from({ length: 400 }, (_, i) => line(i)).join("\n") + "\n\n\tend";
    const pieces = splitForPaste(text, CLAUDE_PASTE_PIECES);
    expect(pieces.join("")).toBe(text);
    expect(pieces.length).toBeGreaterThan(100);
    for (const piece of pieces) {
      expect(piece.length).toBeLessThanOrEqual(CLAUDE_PASTE_PIECES.maxChars);
      expect(lineCount(piece)).toBeLessThanOrEqual(CLAUDE_PASTE_PIECES.maxLines);
      expect(piece.split("\n").length).toBeLessThan(4);
    }
  });
});
