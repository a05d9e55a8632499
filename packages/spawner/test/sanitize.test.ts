import { describe, expect, it } from "vitest";
import { sanitizeText } from "../src/index.js";

describe("sanitizeText", () => {
  it("turns C0 controls, DEL and C1 into spaces but keeps TAB and printable text", () => {
    expect(sanitizeText("a\x1b[201~b\rc\x03d\x15e\x1af\x7fg\x9b1mh\x9d52;i\tj")).toBe("a [201~b c d e f g 1mh 52;i\tj");
  });
  it("keeps LF only when asked (tasks), never CR", () => {
    expect(sanitizeText("one\ntwo\r\nthree")).toBe("one two  three");
    expect(sanitizeText("one\ntwo\r\nthree", { keepNewlines: true })).toBe("one\ntwo \nthree");
  });
  it("leaves unicode alone", () => {
    expect(sanitizeText("héllo ✻ 世界 🎉")).toBe("héllo ✻ 世界 🎉");
  });
});
