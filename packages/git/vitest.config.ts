import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "@clustr/git",
    include: ["test/**/*.test.ts"],
  },
});
