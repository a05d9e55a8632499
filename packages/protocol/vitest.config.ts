import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "@clustr/protocol",
    include: ["test/**/*.test.ts"],
  },
});
