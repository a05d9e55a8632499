import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "@clustr/bridge",
    include: ["test/**/*.test.ts"],
    // Every end-to-end test starts the built bridge as a child process on a shared, busy
    // machine: generous limits, never timed assertions.
    testTimeout: 60_000,
    hookTimeout: 30_000,
  },
});
