import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "@clustr/spawner",
    include: ["test/**/*.test.ts"],
  },
});
