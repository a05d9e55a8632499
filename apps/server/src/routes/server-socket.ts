/**
 * The part of a `ws` WebSocket these routes use. `ws` ships no types of its own (and
 * @fastify/websocket's refer to an absent @types/ws), so the shape is spelled out here.
 */
export interface ServerSocket {
  readonly readyState: number;
  readonly OPEN: number;
  /** Bytes queued by `send` and not yet written to the network. */
  readonly bufferedAmount: number;
  send(data: string | Buffer, options?: { binary?: boolean }, callback?: (error?: Error) => void): void;
  close(code?: number, reason?: string): void;
  on(event: "message", listener: (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => void): this;
  on(event: "close", listener: (code: number, reason: Buffer) => void): this;
  emit(event: "message", data: Buffer, isBinary: boolean): boolean;
}
