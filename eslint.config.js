// One flat config for the whole repository. Besides the usual rules it enforces the one-way
// dependencies of DESIGN.md: domain siblings never import each other, domain packages never
// import fastify, svelte or the MCP SDK, the dashboard and the bridge import only
// @clustr/protocol from the workspace, and stdio programs never write to the console.
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import globals from "globals";
import { dependencyRules } from "./tooling/eslint-config/dependency-rules.js";

export default tseslint.config(
  {
    ignores: ["**/dist/**", "**/build/**", "**/.svelte-kit/**", "**/node_modules/**", "**/drizzle/**", "**/*.svelte"],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/consistent-type-imports": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "no-control-regex": "off",
    },
  },
  {
    // The browser benchmark hands functions to the page it drives: they run there.
    files: ["apps/dashboard/bench/**/*.mjs"],
    languageOptions: { globals: { ...globals.browser } },
  },
  ...dependencyRules,
);
