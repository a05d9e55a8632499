/**
 * Close codes of the server's WebSockets (4000-4999 is the range for applications). A client
 * reads them to decide what to do next.
 */
export const CLOSE_CODES = {
  /**
   * The client fell too far behind: the events client reconnects with `?since=<last seq seen>`;
   * a terminal client stopped acknowledging output and reconnects for the scrollback.
   */
  tooSlow: 4008,
  /** The agent ended; its terminal has nothing more to say. */
  agentEnded: 4010,
  /** The agent has no running terminal (still preparing for too long, or ended). */
  agentNotRunning: 4009,
  /** A frame from the client was not a valid message (RFC 6455 "policy violation"). */
  badMessage: 1008,
  /** The server is shutting down (RFC 6455 "going away"). */
  goingAway: 1001,
} as const;

/** Close reasons are limited to 123 bytes by the protocol. */
export function closeReason(text: string): string {
  const buffer = Buffer.from(text, "utf8");
  if (buffer.length <= 123) return text;
  return buffer.subarray(0, 120).toString("utf8").replace(/\uFFFD+$/, "") + "...";
}
