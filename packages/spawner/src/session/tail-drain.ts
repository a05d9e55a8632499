import { readSync } from "node:fs";
import type { Readable } from "node:stream";
import type { IPty } from "node-pty";

/** The parts of node-pty 1.1's UnixTerminal that the drain reaches into. */
interface UnixPtyInternals {
  _socket?: Readable;
  _fd?: number;
}

/** Big enough to take a pty's whole kernel buffer in a few reads. */
const DRAIN_CHUNK_BYTES = 64 * 1024;

/**
 * Make sure a pty's last output is read before its stream closes.
 *
 * Why: libuv treats POLLHUP after a short read as end-of-file. On a pty that is wrong: the
 * kernel hands the master at most one line-discipline buffer per read, so when the program
 * exits, several kilobytes can still be queued when libuv declares EOF and closes the fd
 * (microsoft/node-pty#72, #726). node-pty also destroys the stream 200 ms after the exit when
 * it has not closed by itself, which throws away whatever a paused stream still holds.
 *
 * Every path to closing goes through the stream's `destroy()`, so the drain runs there, just
 * before the fd is closed: first what the stream itself has buffered (while paused), then
 * synchronous reads of the fd. Once the slave side is closed, a read of the master returns
 * data or EIO, never EAGAIN, so the loop ends exactly at the end of the output; EAGAIN means
 * some other process still holds the terminal, and then there is nothing more to wait for.
 *
 * Throws when node-pty's internals are not there, so that an upgrade cannot silently bring
 * the data loss back.
 */
export function installTailDrain(pty: IPty, deliver: (chunk: Buffer) => void): void {
  const internals = pty as unknown as UnixPtyInternals;
  const socket = internals._socket;
  const fd = internals._fd;
  if (!socket || typeof socket.destroy !== "function" || typeof fd !== "number") {
    throw new Error("node-pty internals (_socket, _fd) not found: the exit drain needs node-pty 1.1");
  }
  const destroy = socket.destroy;
  let drained = false;
  socket.destroy = function (this: Readable, ...args: Parameters<Readable["destroy"]>) {
    if (!drained) {
      drained = true;
      // read() in paused mode emits 'data' for each chunk, so buffered output takes the usual path.
      while (!socket.destroyed && socket.read() !== null) {
        // keep reading until the stream's buffer is empty
      }
      const buffer = Buffer.allocUnsafe(DRAIN_CHUNK_BYTES);
      for (;;) {
        let n: number;
        try {
          n = readSync(fd, buffer, 0, buffer.length, null);
        } catch {
          break; // EIO: the output has ended; EAGAIN: another process keeps the terminal open
        }
        if (n <= 0) break;
        deliver(Buffer.from(buffer.subarray(0, n)));
      }
    }
    return destroy.apply(this, args);
  } as Readable["destroy"];
}
