/**
 * Size limits of the wire shapes. They are deliberate: each one bounds something that travels
 * into a terminal, a CLI's command line or the database.
 */
export const LIMITS = {
  /** Agent names: short enough for a notice line and a terminal tab. */
  agentNameMaxChars: 64,
  /** A message body, in UTF-8 bytes. */
  messageBodyMaxBytes: 64 * 1024,
  /** A task, in UTF-8 bytes: it is pasted into the CLI as its first user turn. */
  taskMaxBytes: 64 * 1024,
  /** Text typed into a terminal through the API, in UTF-8 bytes. */
  inputMaxBytes: 64 * 1024,
  /** The rules file, in UTF-8 bytes: it travels on the CLI's command line. */
  rulesMaxBytes: 64 * 1024,
  /** A context key, in characters. */
  contextKeyMaxChars: 256,
  /** A context value, in UTF-8 bytes. */
  contextValueMaxBytes: 256 * 1024,
  /** Default and maximum `limit` of list queries. */
  listDefaultLimit: 100,
  listMaxLimit: 10_000,
  /** Images attached to one spawn. */
  imagesPerSpawnMax: 16,
  /** Arguments of a command agent. */
  commandArgsMax: 256,
  commandArgMaxChars: 16 * 1024,
  /** Paths named in one rollback. */
  rollbackPathsMax: 10_000,
  /** `wait_for_message` blocks at most this long: under Codex's 60 s MCP tool timeout. */
  waitForMessageMaxSeconds: 50,
  /** Request bodies, in bytes (images have their own limit). */
  bodyMaxBytes: 1024 * 1024,
  imageMaxBytes: 20 * 1024 * 1024,
  /** Events kept for `?since=` replay. */
  eventReplayMax: 10_000,
  /** First characters of a message shown in the notice typed into the recipient's terminal. */
  noticePreviewChars: 120,
  /**
   * Output a terminal socket keeps in flight, unacknowledged, once its client acknowledges
   * (`{type: "ack"}`): enough to keep a browser's terminal busy between two acknowledgements,
   * little enough that a key's echo never waits behind seconds of output on the way.
   */
  terminalAckWindowBytes: 128 * 1024,
} as const;

const encoder = new TextEncoder();

/** UTF-8 length of a string, in bytes (works in Node and in the browser). */
export function utf8Length(text: string): number {
  return encoder.encode(text).length;
}
