/**
 * Split `bytes` at the end of its last complete UTF-8 character: `complete` decodes to exactly
 * the same text whatever follows, `rest` (at most 3 bytes) waits for the next chunk. Output is
 * cut this way so that live text and the scrollback are made of the same whole characters.
 */
export function splitUtf8(bytes: Buffer): { complete: Buffer; rest: Buffer } {
  const end = bytes.length;
  for (let back = 1; back <= 3 && back <= end; back++) {
    const byte = bytes[end - back] ?? 0;
    if ((byte & 0xc0) === 0x80) continue; // continuation byte: keep looking for the lead
    const need = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    if (need > back) return { complete: bytes.subarray(0, end - back), rest: bytes.subarray(end - back) };
    break;
  }
  return { complete: bytes, rest: bytes.subarray(end) };
}
