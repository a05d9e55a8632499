import { defineProject } from "vitest/config";

// Unit tests of the dashboard's plain TypeScript modules; the views are tested in a real
// browser against a real server.
export default defineProject({
  test: {
    name: "@clustr/dashboard",
    include: ["test/**/*.test.ts"],
  },
});
