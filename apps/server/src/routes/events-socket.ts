import type { FastifyPluginAsync } from "fastify";
import { EventsQuerySchema, type ClustrEvent } from "@clustr/protocol";
import type { WorkspaceRoutesOptions } from "./agents.js";
import { CLOSE_CODES, closeReason } from "./close-codes.js";
import type { ServerSocket } from "./server-socket.js";

/**
 * Bytes a client may leave unread before it is dropped. Generous for bursts (a broadcast to
 * twenty agents, a build writing thousands of files), small enough that a stuck tab costs
 * little: the dropped client reconnects with `since` and the replay window catches it up.
 */
export const EVENTS_MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

/** Options of {@link eventsSocket}. */
export interface EventsSocketOptions extends WorkspaceRoutesOptions {
  /** Overrides {@link EVENTS_MAX_BUFFERED_BYTES}. */
  maxBufferedBytes?: number;
}

/**
 * `WS /api/events`: the workspace's events as JSON text frames `{seq, type, at, data}`. With
 * `?since=<seq>` the missed events come first (or one `reset` when they are no longer kept),
 * then live ones, with none lost or repeated between the two.
 */
export const eventsSocket: FastifyPluginAsync<EventsSocketOptions> = async (app, { workspace, maxBufferedBytes }) => {
  const limit = maxBufferedBytes ?? EVENTS_MAX_BUFFERED_BYTES;
  app.get(
    "/api/events",
    {
      websocket: true,
      // Checked before the upgrade, so a bad query is a plain 400.
      preValidation: async (request) => {
        EventsQuerySchema.parse(request.query);
      },
    },
    (ws, request) => {
      const socket: ServerSocket = ws;
      const { since } = EventsQuerySchema.parse(request.query);
      let lastSent = 0;
      let closed = false;
      const send = (event: ClustrEvent): void => {
        if (closed || event.seq <= lastSent) return;
        if (socket.bufferedAmount > limit) {
          closed = true;
          unsubscribe();
          socket.close(CLOSE_CODES.tooSlow, closeReason(`too far behind: reconnect with ?since=${lastSent}`));
          return;
        }
        lastSent = event.seq;
        socket.send(JSON.stringify(event));
      };

      // Subscribe first and hold live events back until the replay is out: an event emitted
      // between the two is then sent once, in order (the seq check drops the overlap).
      let held: ClustrEvent[] | null = [];
      const unsubscribe = workspace.subscribe((event) => {
        if (held) {
          held.push(event);
          return;
        }
        // This runs inside whatever emitted the event: a failing socket must not fail the emitter.
        try {
          send(event);
        } catch (error) {
          request.log.warn({ err: error }, "event not sent; closing the events socket");
          closed = true;
          unsubscribe();
          socket.close(CLOSE_CODES.goingAway, "the server could not send an event: reconnect with since");
        }
      });
      socket.on("close", () => {
        closed = true;
        unsubscribe();
      });
      if (since !== undefined && since > workspace.events.lastSeq) {
        // A seq from before a restart (the counter starts again at each start): what the
        // client holds may be stale, so it is told to reload.
        const lastSeq = workspace.events.lastSeq;
        socket.send(JSON.stringify({ seq: lastSeq, type: "reset", at: new Date().toISOString(), data: { reason: `seq ${since} is from an earlier server run` } }));
        lastSent = lastSeq;
      } else if (since !== undefined) {
        lastSent = since;
        for (const event of workspace.replay(since)) send(event);
      }
      const waiting = held;
      held = null;
      for (const event of waiting) send(event);
    },
  );
};
