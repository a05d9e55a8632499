import { defineConfig } from "drizzle-kit";

// `pnpm generate` writes a new migration into `drizzle/` after a change to the schema; the
// folder ships with the package and is applied when a store opens.
export default defineConfig({
  dialect: "sqlite",
  schema: "./src/schema.ts",
  out: "./drizzle",
});
