/** The WebSocket URL of the event stream, resuming after `since` when given. */
export function eventsUrl(location: { protocol: string; host: string }, since?: number): string {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const query = since === undefined ? "" : `?since=${since}`;
  return `${scheme}//${location.host}/api/events${query}`;
}
