import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "@clustr/registry",
    include: ["test/**/*.test.ts"],
  },
});
