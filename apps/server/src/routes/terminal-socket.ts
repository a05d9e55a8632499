import type { FastifyPluginAsync } from "fastify";
import type { Workspace } from "@clustr/core";
import { isClustrError, LIMITS, TerminalClientMessageSchema } from "@clustr/protocol";
import { requireAgent, type WorkspaceRoutesOptions } from "./agents.js";
import { CLOSE_CODES, closeReason } from "./close-codes.js";
import type { ServerSocket } from "./server-socket.js";

type PtySession = ReturnType<ReturnType<Workspace["terminal"]>["pty"]>;

/** How long a socket opened on a `starting` agent waits for its terminal to exist. */
const PTY_WAIT_MS = 10_000;
const PTY_POLL_MS = 100;

interface IdParams {
  id: string;
}

/** The agent's pty once it exists, or undefined when it ended or did not appear in time. */
async function waitForPty(workspace: Workspace, id: string, isClosed: () => boolean): Promise<PtySession | undefined> {
  const deadline = Date.now() + PTY_WAIT_MS;
  for (;;) {
    try {
      return workspace.terminal(id).pty();
    } catch (error) {
      if (!isClustrError(error) || error.code !== "agent_not_running") throw error;
    }
    // Between spawn and pty there is the checkpoint and the per-agent config: worth waiting for.
    if (isClosed() || workspace.get(id)?.status !== "starting" || Date.now() > deadline) return undefined;
    await new Promise((resolve) => setTimeout(resolve, PTY_POLL_MS));
  }
}

function frameText(data: Buffer | ArrayBuffer | Buffer[]): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString("utf8");
  return Buffer.from(data as ArrayBuffer).toString("utf8");
}

/**
 * How long output may wait for a client that acknowledges to acknowledge more before its
 * socket is closed ({@link CLOSE_CODES}.tooSlow; the client reconnects for the scrollback).
 * A browser freezes a background tab now and then: its socket stays open and its page sends
 * nothing, and without this limit the agent would wait, paused, until the tab came back.
 */
export const ACK_STALL_MS = 30_000;

/**
 * A terminal socket's flow control, on from the client's first `ack` (see
 * `TerminalClientMessageSchema`): output waits while more than `windowBytes` are unacknowledged.
 * Without it, a browser's socket takes output as fast as the kernel's buffers (megabytes on
 * loopback) and its own queue do, far faster than its terminal shows it, and a key's echo waits
 * behind all of that.
 */
export class AckWindow {
  #sent = 0;
  #acked = 0;
  #on = false;
  #waiting: ((room: boolean) => void)[] = [];
  #stall: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly windowBytes: number,
    private readonly stallMs = ACK_STALL_MS,
  ) {}

  /** Count a frame of `bytes` handed to the socket. */
  sent(bytes: number): void {
    this.#sent += bytes;
  }

  /**
   * Take the client's acknowledgement of `total` bytes. An error message when it cannot be
   * right: more than was sent, or less than an earlier one.
   */
  ack(total: number): string | null {
    if (total > this.#sent) return `ack of ${total} bytes, but ${this.#sent} were sent`;
    if (total < this.#acked) return `ack of ${total} bytes after one of ${this.#acked}`;
    const progress = total > this.#acked;
    this.#acked = total;
    this.#on = true;
    if (this.#sent - this.#acked <= this.windowBytes) this.#settle(true);
    else if (progress && this.#waiting.length > 0) this.#armStall();
    return null;
  }

  /**
   * Settles once another frame may go: true at once while flow control is off or there is
   * room, or once acknowledgements make room; false when the client acknowledged nothing more
   * for `stallMs` meanwhile, or {@link AckWindow.release} was called.
   */
  room(): Promise<boolean> {
    if (!this.#on || this.#sent - this.#acked <= this.windowBytes) return Promise.resolve(true);
    return new Promise((resolve) => {
      this.#waiting.push(resolve);
      if (this.#waiting.length === 1) this.#armStall();
    });
  }

  /** Let a waiting frame go, without room (the socket closed). */
  release(): void {
    this.#settle(false);
  }

  #armStall(): void {
    if (this.#stall) clearTimeout(this.#stall);
    this.#stall = setTimeout(() => this.#settle(false), this.stallMs);
  }

  #settle(room: boolean): void {
    if (this.#stall) clearTimeout(this.#stall);
    this.#stall = null;
    const waiting = this.#waiting;
    this.#waiting = [];
    for (const wake of waiting) wake(room);
  }
}

/**
 * Send one frame once `flow` has room (`stalled` is called instead when the client stopped
 * acknowledging, or the socket closed meanwhile); settles once `ws` has handed it to the
 * socket (or the socket is gone) and one timer turn has passed. A pty hands over at most a few
 * KiB per read, and each frame costs a send on this side and a wake-up on the browser's, which
 * during a flood cost more than the bytes: output that arrives in the meantime queues in the
 * session and leaves as one frame.
 * Measured here (apps/server bench): one frame per pty read (~4 KiB) ran at 0.4-0.6 of raw pty
 * speed; frames gathered this way (~40 KiB) run at the rate of a bare node-pty -> ws pipe
 * (0.55-0.77 of raw). A lone keystroke's echo finds the socket free and goes out at once.
 */
async function sendFrame(socket: ServerSocket, flow: AckWindow, data: Buffer, stalled: () => void): Promise<void> {
  if (!(await flow.room())) {
    stalled();
    return;
  }
  return new Promise((resolve) => {
    if (socket.readyState !== socket.OPEN) return resolve();
    flow.sent(data.length);
    socket.send(data, { binary: true }, () => setTimeout(resolve, 0));
  });
}

/** Options of {@link terminalSocket}. */
export interface TerminalSocketOptions extends WorkspaceRoutesOptions {
  /** See {@link ACK_STALL_MS} (the default). */
  ackStallMs?: number;
}

/**
 * `WS /api/agents/:id/terminal`: the agent's scrollback, then its live output, as binary frames
 * holding the UTF-8 bytes of the output (never split inside a character). The browser sends
 * JSON text frames (`TerminalClientMessageSchema`): `{type: "input", data}` is written to the
 * pty as raw keys, `{type: "resize", cols, rows}` resizes it, `{type: "ack", bytes}` tells how
 * much output it has shown and turns on flow control ({@link AckWindow}). Each frame is sent
 * only after the one before it left, and when the client acknowledges, only while at most
 * `LIMITS.terminalAckWindowBytes` are unacknowledged: a slow socket or terminal holds output
 * back and, beyond the pty's high watermark, pauses the program. The socket closes with
 * {@link CLOSE_CODES}.agentEnded when the agent ends, {@link CLOSE_CODES}.agentNotRunning when
 * it has no terminal, and {@link CLOSE_CODES}.tooSlow when a client that acknowledges left
 * output waiting for `ackStallMs` without acknowledging more.
 */
export const terminalSocket: FastifyPluginAsync<TerminalSocketOptions> = async (app, { workspace, ackStallMs = ACK_STALL_MS }) => {
  app.get<{ Params: IdParams }>(
    "/api/agents/:id/terminal",
    {
      websocket: true,
      // An unknown agent is a plain 404 before the upgrade.
      preValidation: async (request) => {
        requireAgent(workspace, request.params.id);
      },
    },
    (ws, request) => {
      const socket: ServerSocket = ws;
      const agent = requireAgent(workspace, request.params.id);
      let closed = false;
      const flow = new AckWindow(LIMITS.terminalAckWindowBytes, ackStallMs);
      let cleanup = (): void => undefined;
      // Stop taking output and let a frame waiting for room go: on closing, and when the client
      // closed first.
      const finish = (): void => {
        closed = true;
        cleanup();
        flow.release();
      };
      const close = (code: number, reason: string): void => {
        if (closed) return;
        finish();
        socket.close(code, closeReason(reason));
      };
      socket.on("close", finish);

      // Input can arrive before the pty is found; it is held until then, in order.
      const early: string[] = [];
      let pty: PtySession | undefined;
      socket.on("message", (data) => {
        if (closed) return;
        let message;
        try {
          message = TerminalClientMessageSchema.parse(JSON.parse(frameText(data)));
        } catch {
          close(CLOSE_CODES.badMessage, 'expected {"type":"input","data"}, {"type":"resize","cols","rows"} or {"type":"ack","bytes"} as JSON');
          return;
        }
        if (message.type === "ack") {
          const wrong = flow.ack(message.bytes);
          if (wrong) close(CLOSE_CODES.badMessage, wrong);
          return;
        }
        if (message.type === "resize") {
          if (pty) pty.resize(message.cols, message.rows);
          else early.push(frameText(data));
          return;
        }
        if (!pty) {
          early.push(frameText(data));
          return;
        }
        try {
          pty.write(message.data);
        } catch {
          // The program exited between its last output and this key: the exit closes the socket.
        }
      });

      void waitForPty(workspace, agent.id, () => closed).then(
        (found) => {
          if (closed) return;
          if (!found) {
            const now = workspace.get(agent.id);
            close(CLOSE_CODES.agentNotRunning, `agent_not_running: agent '${agent.name}' is ${now?.status ?? "removed"}`);
            return;
          }
          pty = found;
          const subscription = found.subscribeBytes(
            (bytes) => sendFrame(socket, flow, bytes, () => close(CLOSE_CODES.tooSlow, `no output acknowledged for ${Math.round(ackStallMs / 1000)} s: reconnect`)),
            { replay: true },
          );
          // Exit is reported after every byte of output was handed to the subscribers.
          const exit = found.onExit(() => {
            void Promise.resolve().then(() => {
              const now = workspace.get(agent.id);
              close(CLOSE_CODES.agentEnded, `agent '${agent.name}' ended${now ? ` (${now.status})` : ""}`);
            });
          });
          cleanup = () => {
            subscription.unsubscribe();
            exit.dispose();
          };
          for (const frame of early.splice(0)) socket.emit("message", Buffer.from(frame), false);
        },
        (error: unknown) => close(CLOSE_CODES.agentNotRunning, error instanceof Error ? error.message : String(error)),
      );
    },
  );
};
