import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "@clustr/store",
    include: ["test/**/*.test.ts"],
    // Every test commits to a real file with synchronous=FULL; on a shared disk an fsync can
    // take long, so allow far more than the default 5 s.
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
