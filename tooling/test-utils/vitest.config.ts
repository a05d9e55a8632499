import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "@clustr/test-utils",
    include: ["test/**/*.test.ts"],
  },
});
