import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { ClustrError, RulesContentSchema } from "@clustr/protocol";

/** The shared rules file's content; empty when it does not exist yet. */
export function readRules(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return "";
    throw error;
  }
}

/** Replace the rules file atomically (temp file + rename): a reader never sees half a file. */
export function writeRules(file: string, content: string): void {
  const parsed = RulesContentSchema.safeParse(content);
  if (!parsed.success) throw new ClustrError("payload_too_large", parsed.error.issues[0]?.message ?? "rules are too large");
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, content, { mode: 0o600 });
  renameSync(temp, file);
}
