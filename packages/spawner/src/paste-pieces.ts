/**
 * How a CLI wants long text pasted: as several bracketed pastes, each small enough that the CLI
 * keeps it as typed text. Claude Code 2.1.330 turns a single paste of more than 800 characters
 * or of 4 lines or more into a "[Pasted text #N]" placeholder and hands it to the model wrapped
 * in `<pasted_content>` tags; smaller pastes, even many in a row, stay plain text in its input.
 */
export interface PastePieces {
  /** At most this many UTF-16 code units per paste. */
  maxChars: number;
  /** At most this many lines per paste, 2 or more (a piece holds at most `maxLines - 1` line feeds). */
  maxLines: number;
}

const graphemes = new Intl.Segmenter(undefined, { granularity: "grapheme" });
/**
 * Grapheme boundaries are looked up in a window around a cut only: segmenting a whole long text
 * with Intl.Segmenter takes time that grows much faster than its length on Node 20.
 */
const WINDOW = 64;

/**
 * Cut `text` into pieces within `limits`, only between grapheme clusters (so an accent or a
 * joined emoji never straddles two pastes) and, where a line must be cut, after a space when
 * one is near. The pieces joined give `text` back exactly. A single cluster longer than
 * `maxChars` goes whole, as a longer piece.
 */
export function splitForPaste(text: string, limits: PastePieces): string[] {
  const maxChars = Math.max(1, Math.floor(limits.maxChars));
  const maxFeeds = Math.max(1, Math.floor(limits.maxLines) - 1);
  const pieces: string[] = [];
  let pos = 0;
  while (pos < text.length) {
    let end = Math.min(text.length, pos + maxChars);
    let feeds = 0;
    for (let i = pos; i < end; i++) {
      // Right after a line feed is always a cluster boundary.
      if (text.charCodeAt(i) === 10 && ++feeds >= maxFeeds) end = i + 1;
    }
    if (end < text.length && text.charCodeAt(end - 1) !== 10) end = cutPoint(text, pos, end);
    pieces.push(text.slice(pos, end));
    pos = end;
  }
  return pieces;
}

/** Where to cut `text` between `pos` and `end`: after a space in the second half, else the last cluster boundary. */
function cutPoint(text: string, pos: number, end: number): number {
  const from = Math.max(pos, end - WINDOW);
  const boundaries = new Set<number>();
  for (const { index } of graphemes.segment(text.slice(from, Math.min(text.length, end + WINDOW)))) boundaries.add(from + index);
  const half = pos + Math.ceil((end - pos) / 2);
  for (let i = end; i > Math.max(pos, half - 1); i--) {
    if (text.charCodeAt(i - 1) === 32 && boundaries.has(i)) return i;
  }
  for (let i = end; i > pos && i >= from; i--) if (boundaries.has(i)) return i;
  // One cluster longer than the limit (joined emoji, a pile of accents): it goes whole.
  const after = [...boundaries].filter((i) => i > end).sort((a, b) => a - b)[0];
  if (after !== undefined) return after;
  // Longer than the window too: at least never between the halves of a surrogate pair.
  const code = text.charCodeAt(end);
  return code >= 0xdc00 && code <= 0xdfff ? end + 1 : end;
}
