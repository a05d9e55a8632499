function wsScheme(location: { protocol: string }): string {
  return location.protocol === "https:" ? "wss:" : "ws:";
}

/** The WebSocket URL of the event stream, resuming after `since` when given. */
export function eventsUrl(location: { protocol: string; host: string }, since?: number): string {
  const query = since === undefined ? "" : `?since=${since}`;
  return `${wsScheme(location)}//${location.host}/api/events${query}`;
}

/** The WebSocket URL of an agent's terminal. */
export function terminalUrl(location: { protocol: string; host: string }, agentId: string): string {
  return `${wsScheme(location)}//${location.host}/api/agents/${encodeURIComponent(agentId)}/terminal`;
}
