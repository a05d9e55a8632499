import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "@clustr/e2e-tools",
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/global-setup.ts"],
    // The real CLIs are heavy (2 cores): one test file at a time.
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 180_000,
  },
});
