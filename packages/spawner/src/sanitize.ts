/**
 * Make text safe to paste into a terminal: every C0 control character except TAB (and LF when
 * `keepNewlines`), DEL and every C1 character become spaces. Nothing left can end a bracketed
 * paste (ESC), send a key (^C, ^U, ^Z, CR) or start a control sequence (C1 CSI/OSC).
 */
export function sanitizeText(text: string, { keepNewlines = false }: { keepNewlines?: boolean } = {}): string {
  const pattern = keepNewlines ? /[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/g : /[\u0000-\u0008\u000A-\u001F\u007F-\u009F]/g;
  return text.replace(pattern, " ");
}
