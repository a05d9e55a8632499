import { describe, expect, it } from "vitest";
import { formatMessageNotice } from "../src/index.js";

describe("formatMessageNotice", () => {
  it("names the message, its sender and a one-line preview", () => {
    expect(formatMessageNotice({ id: 12, body: "please\nreview  the PR" }, "lead")).toBe(
      "[clustr] message #12 from lead: please review the PR (call read_messages to read it)",
    );
  });
  it("shows the user as sender when there is no agent, and cuts the preview at 120 characters", () => {
    const notice = formatMessageNotice({ id: 3, body: "é".repeat(200) }, null);
    expect(notice).toBe(`[clustr] message #3 from user: ${"é".repeat(120)}… (call read_messages to read it)`);
  });
});
