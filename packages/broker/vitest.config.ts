import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "@clustr/broker",
    include: ["test/**/*.test.ts"],
  },
});
