import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * Write a returning Claude Code user's `.claude.json` into `configDir` (the CLI's
 * `CLAUDE_CONFIG_DIR`): onboarding done, this API key approved, a few keys of their own, and
 * one other project trusted (`trustedElsewhere`), so whoever starts the CLI in a new folder
 * must see to its trust. Returns what was written.
 */
export function writeClaudeUserConfig(configDir: string, apiKey: string, trustedElsewhere: string): Record<string, unknown> {
  const config: Record<string, unknown> = {
    numStartups: 7,
    hasCompletedOnboarding: true,
    lastOnboardingVersion: "2.1.197",
    customApiKeyResponses: { approved: [apiKey.slice(-20)], rejected: [] },
    tipsHistory: { "new-user-warmup": 7 },
    userID: "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    projects: { [trustedElsewhere]: { allowedTools: [], hasTrustDialogAccepted: true } },
  };
  mkdirSync(configDir, { recursive: true });
  writeFileSync(join(configDir, ".claude.json"), `${JSON.stringify(config, null, 2)}\n`);
  return config;
}

/**
 * Write a Codex user's `config.toml` into `codexHome` holding only their model provider (the
 * fake one at `baseUrl`, its key in the `envKey` variable). Returns what was written.
 */
export function writeCodexUserConfig(codexHome: string, baseUrl: string, envKey: string): string {
  const toml = [
    'model = "fake-model"',
    'model_provider = "fake"',
    "",
    "[model_providers.fake]",
    'name = "Fake"',
    `base_url = ${JSON.stringify(baseUrl)}`,
    `env_key = ${JSON.stringify(envKey)}`,
    'wire_api = "responses"',
    "",
  ].join("\n");
  mkdirSync(codexHome, { recursive: true });
  writeFileSync(join(codexHome, "config.toml"), toml);
  return toml;
}
