import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "@clustr/core",
    include: ["test/**/*.test.ts"],
    // Real ptys, real processes and real watchers on a shared 2-core machine.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
