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

/**
 * A clean environment for a CLI under test: PATH (the system's unless given), HOME, TERM, LANG
 * and TMPDIR, and nothing else of this process's, so that no setting of the machine running the
 * tests reaches the CLI.
 */
export function cliBaseEnv(home: string, path = process.env["PATH"] ?? "/usr/bin:/bin"): NodeJS.ProcessEnv {
  return {
    PATH: path,
    HOME: home,
    TERM: "xterm-256color",
    LANG: "C.UTF-8",
    TMPDIR: process.env["TMPDIR"] ?? "/tmp",
  };
}

/**
 * Claude Code on a fake model: {@link cliBaseEnv} plus the model's address and key, the user's
 * config folder (`CLAUDE_CONFIG_DIR`), and the CLI's auto-update, telemetry and other traffic off.
 */
export function claudeEnv(options: { home: string; configDir: string; model: { baseUrl: string; apiKey: string }; path?: string }): NodeJS.ProcessEnv {
  return {
    ...cliBaseEnv(options.home, options.path),
    ANTHROPIC_BASE_URL: options.model.baseUrl,
    ANTHROPIC_API_KEY: options.model.apiKey,
    CLAUDE_CONFIG_DIR: options.configDir,
    DISABLE_AUTOUPDATER: "1",
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
    DISABLE_TELEMETRY: "1",
  };
}
