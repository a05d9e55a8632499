import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "@clustr/bridge",
    include: ["test/**/*.test.ts"],
  },
});
