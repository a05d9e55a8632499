import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "clustr-ai",
    include: ["test/**/*.test.ts"],
    // Real agents in real ptys on a shared, noisy machine: generous, never a speed goal.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
