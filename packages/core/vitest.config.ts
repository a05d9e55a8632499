import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "@clustr/core",
    include: ["test/**/*.test.ts"],
  },
});
