import { LIMITS } from "@clustr/protocol";

/**
 * The one-line notice typed into a recipient's terminal:
 * `[clustr] message #12 from lead: <first 120 chars> (call read_messages to read it)`.
 * Line breaks and runs of whitespace in the preview collapse to one space.
 */
export function formatMessageNotice(message: { id: number; body: string }, fromName: string | null): string {
  const flat = message.body.replace(/\s+/g, " ").trim();
  const chars = Array.from(flat);
  const preview = chars.length > LIMITS.noticePreviewChars ? `${chars.slice(0, LIMITS.noticePreviewChars).join("")}…` : flat;
  return `[clustr] message #${message.id} from ${fromName ?? "user"}: ${preview} (call read_messages to read it)`;
}

/** The notice sent to running agents when the rules change. */
export const RULES_UPDATED_NOTICE = "[clustr] rules updated (call get_rules)";
