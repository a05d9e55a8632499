import { describe, expect, it } from "vitest";
import { eventsUrl } from "../src/index.js";

describe("eventsUrl", () => {
  it("uses the page's host and resumes after a sequence number", () => {
    expect(eventsUrl({ protocol: "http:", host: "127.0.0.1:4000" })).toBe("ws://127.0.0.1:4000/api/events");
    expect(eventsUrl({ protocol: "https:", host: "h:1" }, 42)).toBe("wss://h:1/api/events?since=42");
  });
});
