import { IMAGE_TYPES, SpawnAgentBodySchema } from "@clustr/protocol";
import type { AgentKind, ImageMimeType, PermissionMode, SpawnAgentBody } from "@clustr/protocol";

/** The spawn form's fields, as the user typed them. */
export interface SpawnForm {
  name: string;
  kind: AgentKind;
  command: string;
  /** Arguments as one line, split like a shell would (quotes group, backslash escapes). */
  args: string;
  cwd: string;
  task: string;
  permissionMode: PermissionMode;
  images: string[];
}

/** A fresh form: a Claude agent with the default permission mode. */
export function emptySpawnForm(cwd = ""): SpawnForm {
  return { name: "", kind: "claude", command: "", args: "", cwd, task: "", permissionMode: "edits", images: [] };
}

/**
 * Splits an argument line into arguments: whitespace separates, single and double quotes group
 * (no expansion of any kind: the command runs without a shell), backslash escapes one character.
 * Throws on an unclosed quote.
 */
export function splitArgs(line: string): string[] {
  const args: string[] = [];
  let current = "";
  let started = false;
  let quote: "'" | '"' | null = null;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i] as string;
    if (quote !== null) {
      if (ch === quote) quote = null;
      else if (ch === "\\" && quote === '"' && i + 1 < line.length) current += line[++i];
      else current += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      started = true;
    } else if (ch === "\\" && i + 1 < line.length) {
      current += line[++i];
      started = true;
    } else if (/\s/.test(ch)) {
      if (started) args.push(current);
      current = "";
      started = false;
    } else {
      current += ch;
      started = true;
    }
  }
  if (quote !== null) throw new Error(`arguments: a ${quote === "'" ? "single" : "double"} quote is not closed`);
  if (started) args.push(current);
  return args;
}

/** The body of `POST /api/agents`, or the problems to show next to the form. */
export type SpawnFormResult = { ok: true; body: SpawnAgentBody } | { ok: false; errors: string[] };

/** Checks the form with the wire schema, so the user sees a problem before anything is sent. */
export function spawnBody(form: SpawnForm): SpawnFormResult {
  let args: string[] = [];
  if (form.kind === "command") {
    try {
      args = splitArgs(form.args);
    } catch (error) {
      return { ok: false, errors: [(error as Error).message] };
    }
  }
  const candidate: Record<string, unknown> = {
    name: form.name.trim(),
    kind: form.kind,
    task: form.task,
    cwd: form.cwd.trim(),
    permissionMode: form.permissionMode,
  };
  if (form.kind === "command") {
    candidate.command = form.command.trim() === "" ? undefined : form.command.trim();
    if (args.length > 0) candidate.args = args;
  }
  if (form.images.length > 0) candidate.images = form.images;
  const parsed = SpawnAgentBodySchema.safeParse(candidate);
  if (parsed.success) return { ok: true, body: parsed.data };
  return { ok: false, errors: parsed.error.issues.map((issue) => `${issue.path.join(".") || "form"}: ${issue.message}`) };
}

/** The image type of a pasted or dropped file, or null for types the server refuses. */
export function imageType(type: string): ImageMimeType | null {
  return type in IMAGE_TYPES ? (type as ImageMimeType) : null;
}
