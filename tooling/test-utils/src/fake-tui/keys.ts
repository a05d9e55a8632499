/** One key press (or one paste) read from a terminal in raw mode. */
export type Key =
  | { type: "text"; text: string }
  | { type: "paste"; text: string }
  | { type: "enter" }
  | { type: "up" }
  | { type: "down" }
  | { type: "esc" }
  | { type: "tab" }
  | { type: "backspace" }
  | { type: "ctrl-c" };

const PASTE_START = "\x1b[200~";
const PASTE_END = "\x1b[201~";

/**
 * Turns raw terminal input into keys. A bracketed paste may span several chunks; everything
 * inside it is text, never keys.
 */
export class KeyReader {
  private paste: string | undefined;

  /** Keys in one chunk, in order. */
  feed(chunk: string): Key[] {
    const keys: Key[] = [];
    let text = "";
    const flush = (): void => {
      if (text) keys.push({ type: "text", text });
      text = "";
    };
    let i = 0;
    while (i < chunk.length) {
      if (this.paste !== undefined) {
        const end = chunk.indexOf(PASTE_END, i);
        if (end < 0) {
          this.paste += chunk.slice(i);
          return keys;
        }
        keys.push({ type: "paste", text: this.paste + chunk.slice(i, end) });
        this.paste = undefined;
        i = end + PASTE_END.length;
        continue;
      }
      if (chunk.startsWith(PASTE_START, i)) {
        flush();
        this.paste = "";
        i += PASTE_START.length;
        continue;
      }
      const char = chunk[i] ?? "";
      if (char === "\x1b") {
        flush();
        const csi = /^\x1b\[[0-9;?]*[A-Za-z~]/.exec(chunk.slice(i));
        if (csi) {
          if (csi[0] === "\x1b[A") keys.push({ type: "up" });
          else if (csi[0] === "\x1b[B") keys.push({ type: "down" });
          i += csi[0].length;
        } else {
          keys.push({ type: "esc" });
          i += 1;
        }
        continue;
      }
      if (char === "\r" || char === "\n") {
        flush();
        keys.push({ type: "enter" });
      } else if (char === "\t") {
        flush();
        keys.push({ type: "tab" });
      } else if (char === "\x7f" || char === "\b") {
        flush();
        keys.push({ type: "backspace" });
      } else if (char === "\x03") {
        flush();
        keys.push({ type: "ctrl-c" });
      } else if (char >= " ") {
        text += char;
      }
      i += 1;
    }
    flush();
    return keys;
  }
}
