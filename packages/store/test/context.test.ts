import { ContextEntrySchema, isClustrError, type ClustrError } from "@clustr/protocol";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Store } from "../src/index.js";
import { addAgent, tempStore } from "./helpers.js";

function errorOf(fn: () => unknown): ClustrError {
  try {
    fn();
  } catch (error) {
    if (isClustrError(error)) return error;
    throw error;
  }
  throw new Error("expected a ClustrError");
}

describe("context repository", () => {
  let store: Store;
  let close: () => Promise<void>;
  beforeEach(async () => {
    ({ store, close } = await tempStore());
  });
  afterEach(() => close());

  it("gives a new key version 1 and each write the next version", () => {
    const author = addAgent(store, "w").id;
    const first = store.context.set({ key: "plan", value: "v1", author });
    expect(first).toMatchObject({ key: "plan", value: "v1", author, version: 1 });
    expect(ContextEntrySchema.parse(first)).toEqual(first);
    const second = store.context.set({ key: "plan", value: "v2", author: null, expectedVersion: 1 });
    expect(second).toMatchObject({ value: "v2", author: null, version: 2 });
    expect(store.context.get("plan")).toEqual(second);
    expect(store.context.set({ key: "plan", value: "v3", author: null }).version).toBe(3);
  });

  it("refuses a stale version with version_conflict carrying the current version, changing nothing", () => {
    store.context.set({ key: "k", value: "a", author: null });
    store.context.set({ key: "k", value: "b", author: null });
    const error = errorOf(() => store.context.set({ key: "k", value: "c", author: null, expectedVersion: 1 }));
    expect(error.code).toBe("version_conflict");
    expect(error.data).toMatchObject({ currentVersion: 2, expectedVersion: 1 });
    expect(store.context.get("k")).toMatchObject({ value: "b", version: 2 });
  });

  it("treats a version for a missing key as a conflict, and 0 as create-only", () => {
    const missing = errorOf(() => store.context.set({ key: "new", value: "x", author: null, expectedVersion: 1 }));
    expect(missing.code).toBe("version_conflict");
    expect(missing.data).toMatchObject({ currentVersion: null });
    expect(store.context.get("new")).toBeUndefined();
    expect(store.context.set({ key: "new", value: "x", author: null, expectedVersion: 0 }).version).toBe(1);
    expect(errorOf(() => store.context.set({ key: "new", value: "y", author: null, expectedVersion: 0 })).code).toBe("version_conflict");
  });

  it("deletes with an optional version check; a re-created key continues its versions", () => {
    store.context.set({ key: "k", value: "a", author: null });
    store.context.set({ key: "k", value: "b", author: null });
    expect(errorOf(() => store.context.delete("k", 1)).code).toBe("version_conflict");
    expect(store.context.get("k")?.value).toBe("b");
    expect(store.context.delete("k", 2)).toBe(true);
    expect(store.context.get("k")).toBeUndefined();
    expect(store.context.list()).toEqual([]);
    expect(store.context.delete("k")).toBe(false);
    // A writer that read version 2 before the delete must not silently overwrite.
    expect(errorOf(() => store.context.set({ key: "k", value: "stale", author: null, expectedVersion: 2 })).code).toBe("version_conflict");
    expect(store.context.set({ key: "k", value: "again", author: null }).version).toBe(3);
  });

  it("lists live entries by key and validates keys, values and authors", () => {
    store.context.set({ key: "b", value: "2", author: null });
    store.context.set({ key: "a", value: "1", author: null });
    expect(store.context.list().map((e) => e.key)).toEqual(["a", "b"]);
    expect(errorOf(() => store.context.set({ key: "has space", value: "x", author: null })).code).toBe("validation_failed");
    expect(errorOf(() => store.context.set({ key: "big", value: "x".repeat(256 * 1024 + 1), author: null })).code).toBe("validation_failed");
    expect(errorOf(() => store.context.set({ key: "k", value: "x", author: "NOPE!" })).code).toBe("validation_failed");
    expect(errorOf(() => store.context.set({ key: "k", value: "x", author: null, expectedVersion: -1 })).code).toBe("validation_failed");
    expect(store.context.list()).toHaveLength(2);
  });
});
