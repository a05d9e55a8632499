import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "clustr-ai",
    include: ["test/**/*.test.ts"],
  },
});
