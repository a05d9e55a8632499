// The root test configuration: every package and app is one vitest project.
// (vitest 4 has no separate workspace file format; the root `test` script passes this file with
// --config.)
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: ["packages/*", "apps/*", "tooling/test-utils", "tooling/e2e"],
  },
});
