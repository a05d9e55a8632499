import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "@clustr/store",
    include: ["test/**/*.test.ts"],
  },
});
