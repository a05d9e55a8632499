import { LIMITS } from "@clustr/protocol";
import type { TerminalClientMessage } from "@clustr/protocol";

// Four UTF-8 bytes at most per code point: chunks of this many code points always fit the
// server's input limit.
const CHUNK_CODE_POINTS = Math.floor(LIMITS.inputMaxBytes / 4);

/**
 * The text frames that carry typed or pasted `data` to the terminal socket: one `input`
 * message, or several for a paste larger than the input limit (never splitting a character).
 */
export function inputFrames(data: string): string[] {
  const frames: string[] = [];
  const points = Array.from(data);
  for (let i = 0; i < points.length; i += CHUNK_CODE_POINTS) {
    const message: TerminalClientMessage = { type: "input", data: points.slice(i, i + CHUNK_CODE_POINTS).join("") };
    frames.push(JSON.stringify(message));
  }
  return frames;
}

/** The text frame that tells the server the terminal's new size, or null for a size it refuses. */
export function resizeFrame(cols: number, rows: number): string | null {
  if (!Number.isInteger(cols) || !Number.isInteger(rows) || cols < 2 || rows < 1 || cols > 1000 || rows > 1000) return null;
  const message: TerminalClientMessage = { type: "resize", cols, rows };
  return JSON.stringify(message);
}

/** The text frame that acknowledges `bytes` of output shown (see `OutputAcks`). */
export function ackFrame(bytes: number): string {
  const message: TerminalClientMessage = { type: "ack", bytes };
  return JSON.stringify(message);
}
