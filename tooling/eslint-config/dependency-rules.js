// The dependency rules of DESIGN.md as `no-restricted-imports` settings, one block per package.
const FRAMEWORKS = [
  { group: ["fastify", "fastify/*", "@fastify/*"], message: "Domain packages never import fastify (DESIGN.md)." },
  { group: ["svelte", "svelte/*", "@sveltejs/*"], message: "Domain packages never import svelte (DESIGN.md)." },
  { group: ["@modelcontextprotocol/*"], message: "Domain packages never import the MCP SDK (DESIGN.md)." },
];

const DOMAIN = ["broker", "registry", "spawner", "git"];
const LAYER_ABOVE = ["@clustr/core", "clustr-ai", "@clustr/bridge", "@clustr/dashboard"];

const workspaceBan = (allowed, why) => ({
  group: ["@clustr/*", "clustr-ai", ...allowed.map((name) => `!${name}`)],
  message: why,
});

const restrict = (files, patterns) => ({
  files,
  rules: { "no-restricted-imports": ["error", { patterns }] },
});

export const dependencyRules = [
  restrict(["packages/protocol/**/*.ts"], [
    workspaceBan([], "@clustr/protocol depends on zod only."),
    ...FRAMEWORKS,
    { group: ["better-sqlite3", "drizzle-orm", "drizzle-orm/*", "node-pty"], message: "@clustr/protocol depends on zod only." },
  ]),
  restrict(["packages/store/**/*.ts"], [
    workspaceBan(["@clustr/protocol", "@clustr/test-utils"], "@clustr/store depends on @clustr/protocol only."),
    ...FRAMEWORKS,
  ]),
  ...DOMAIN.map((name) =>
    restrict([`packages/${name}/**/*.ts`], [
      workspaceBan(
        ["@clustr/protocol", "@clustr/store", "@clustr/test-utils"],
        `@clustr/${name} may import only @clustr/protocol and @clustr/store: domain siblings never import each other; pass a port instead.`,
      ),
      ...FRAMEWORKS,
    ]),
  ),
  restrict(["packages/core/**/*.ts"], [
    { group: LAYER_ABOVE, message: "@clustr/core sits below the server, the bridge and the dashboard." },
    ...FRAMEWORKS,
  ]),
  restrict(["packages/bridge/**/*.ts"], [
    workspaceBan(["@clustr/protocol", "@clustr/test-utils"], "The bridge imports only @clustr/protocol and the MCP SDK."),
    { group: ["better-sqlite3", "drizzle-orm", "drizzle-orm/*"], message: "The bridge never opens the database." },
    { group: ["fastify", "@fastify/*", "svelte", "@sveltejs/*"], message: "The bridge imports only @clustr/protocol and the MCP SDK." },
  ]),
  {
    // stdout is the MCP protocol: a stray console.log corrupts it.
    files: ["packages/bridge/src/**/*.ts"],
    rules: { "no-console": "error" },
  },
  restrict(["apps/dashboard/src/**/*.ts"], [
    workspaceBan(["@clustr/protocol"], "The dashboard imports only @clustr/protocol from the workspace."),
    { group: ["better-sqlite3", "drizzle-orm", "node-pty", "fastify", "@fastify/*"], message: "The dashboard runs in the browser." },
  ]),
  // The browser tests drive real agent CLIs on a fake model: they may use the e2e tooling, never
  // the packages the dashboard itself must not reach.
  restrict(["apps/dashboard/test/**/*.ts"], [
    workspaceBan(["@clustr/protocol", "@clustr/e2e-tools"], "The dashboard's tests import only @clustr/protocol and @clustr/e2e-tools from the workspace."),
    { group: ["better-sqlite3", "drizzle-orm", "node-pty", "fastify", "@fastify/*"], message: "The dashboard runs in the browser." },
  ]),
];
