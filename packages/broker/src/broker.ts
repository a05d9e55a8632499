import {
  ClustrError,
  LIMITS,
  MessageBodyTextSchema,
  isEnded,
  type Agent,
  type EventData,
  type Message,
} from "@clustr/protocol";
import type { AgentsRepository, MessagesRepository } from "@clustr/store";
import { formatMessageNotice } from "./notice.js";

/**
 * What the broker needs from the agents' terminals; core fills it from the spawner. The broker
 * never types into a running turn: it asks `canDeliver` first.
 */
export interface DeliveryPort {
  /** True when the agent is running and idle, so a notice would be its own user turn. */
  canDeliver(agentId: string): boolean;
  /** Type `text` as one user turn and submit it; resolves true once the CLI took it. */
  inject(agentId: string, text: string): Promise<boolean>;
}

export interface BrokerOptions {
  messages: MessagesRepository;
  agents: Pick<AgentsRepository, "get" | "getByName" | "listLive">;
  delivery: DeliveryPort;
  /** Told of every new message and every state change (core emits the events). */
  emit: <T extends "message.created" | "message.updated">(type: T, data: EventData<T>) => void;
  /** Told when typing a notice failed; the message stays queued (default: ignored). */
  onDeliveryError?: (agentId: string, error: unknown) => void;
  /** How often queued messages are offered again to idle agents (default 2 s). */
  sweepIntervalMs?: number;
}

interface Waiter {
  resolve: (messages: Message[]) => void;
  timer: NodeJS.Timeout;
}

/**
 * Message delivery (DESIGN.md "Messages"): persist through the store's group commit, emit,
 * then deliver a one-line notice into the recipient's terminal at an idle moment. States go
 * queued -> delivered (notice typed) -> read (`read_messages` or `wait_for_message`).
 * One delivery runs per agent at a time and only queued messages are delivered, so a notice is
 * never typed twice.
 */
export class Broker {
  private readonly waiters = new Map<string, Set<Waiter>>();
  private readonly delivering = new Set<string>();
  /** Notices that are not messages (e.g. "rules updated"), waiting for each agent's idle moment. */
  private readonly pendingNotices = new Map<string, string[]>();
  private readonly sweepTimer: NodeJS.Timeout;
  private closed = false;

  constructor(private readonly options: BrokerOptions) {
    this.sweepTimer = setInterval(() => this.sweep(), options.sweepIntervalMs ?? 2000);
    this.sweepTimer.unref();
  }

  /**
   * Send `body` from an agent (or the user, `from` null) to an agent name or id, or `*` for
   * every agent that has not ended except the sender (one message per recipient). Resolves
   * once the messages are committed.
   */
  async send(from: string | null, to: string, body: string): Promise<Message[]> {
    this.assertOpen();
    const parsed = MessageBodyTextSchema.safeParse(body);
    if (!parsed.success) throw new ClustrError("validation_failed", parsed.error.issues[0]?.message ?? "invalid message body");
    const recipients = this.recipients(from, to);
    const messages = await this.options.messages.send(recipients.map((agent) => ({ from, to: agent.id, body })));
    for (const message of messages) this.options.emit("message.created", { message });
    for (const message of messages) {
      if (!this.handToWaiter(message.to)) this.deliverSoon(message.to);
    }
    return messages;
  }

  /** Unread messages of an agent, oldest first, marked read. */
  read(agentId: string): Message[] {
    const unread = this.options.messages.unreadFor(agentId);
    if (unread.length === 0) return [];
    const read = this.options.messages.markRead(unread.map((m) => m.id));
    for (const message of read) this.options.emit("message.updated", { message });
    return read;
  }

  /**
   * Block until a message for the agent arrives (or there is one unread already), then return
   * the unread messages marked read, like {@link read}; `[]` after `timeoutS` seconds.
   * `signal` releases the wait with `[]` (the caller went away): a message arriving later then
   * stays unread instead of being marked read for nobody.
   */
  waitFor(agentId: string, timeoutS: number, signal?: AbortSignal): Promise<Message[]> {
    this.assertOpen();
    if (signal?.aborted) return Promise.resolve([]);
    const now = this.read(agentId);
    if (now.length > 0) return Promise.resolve(now);
    const seconds = Math.min(Math.max(timeoutS, 0), LIMITS.waitForMessageMaxSeconds);
    return new Promise((resolve) => {
      const set = this.waiters.get(agentId) ?? new Set<Waiter>();
      this.waiters.set(agentId, set);
      const onAbort = () => waiter.resolve([]);
      const waiter: Waiter = {
        resolve: (messages) => {
          clearTimeout(waiter.timer);
          signal?.removeEventListener("abort", onAbort);
          set.delete(waiter);
          if (set.size === 0) this.waiters.delete(agentId);
          resolve(messages);
        },
        timer: setTimeout(() => waiter.resolve([]), seconds * 1000),
      };
      set.add(waiter);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  /**
   * Type `text` into each agent at its next idle moment, like a message notice but with no
   * message behind it (the rules-changed notice). The same text pending twice is typed once.
   */
  notify(agentIds: readonly string[], text: string): void {
    for (const agentId of agentIds) {
      const pending = this.pendingNotices.get(agentId) ?? [];
      if (!pending.includes(text)) pending.push(text);
      this.pendingNotices.set(agentId, pending);
      this.deliverSoon(agentId);
    }
  }

  /** The agent turned idle (or finished starting): offer it its queued messages. */
  onIdle(agentId: string): void {
    this.deliverSoon(agentId);
  }

  /** The agent ended: release its waiters with nothing and drop its pending notices. */
  onEnded(agentId: string): void {
    this.pendingNotices.delete(agentId);
    for (const waiter of this.waiters.get(agentId) ?? []) waiter.resolve([]);
  }

  /** Offer every live agent with queued messages a delivery (also runs on a timer). */
  sweep(): void {
    if (this.closed) return;
    for (const agent of this.options.agents.listLive()) {
      if (this.pendingNotices.has(agent.id) || this.options.messages.queuedFor(agent.id).length > 0) this.deliverSoon(agent.id);
    }
  }

  close(): void {
    this.closed = true;
    clearInterval(this.sweepTimer);
    for (const id of [...this.waiters.keys()]) this.onEnded(id);
  }

  /**
   * Start a delivery without waiting for it. A delivery that fails (the terminal went away
   * while typing) leaves its messages queued for the next idle moment or sweep; it must never
   * become an unhandled rejection that takes the server down.
   */
  private deliverSoon(agentId: string): void {
    this.deliver(agentId).catch((error: unknown) => this.options.onDeliveryError?.(agentId, error));
  }

  /**
   * Type notices for the agent's queued messages, one per idle moment, oldest first. A notice
   * is its own user turn: after one is taken the CLI turns busy, and the next waits for the
   * next idle moment (the next `onIdle` or sweep).
   */
  private async deliver(agentId: string): Promise<void> {
    if (this.closed || this.delivering.has(agentId)) return;
    this.delivering.add(agentId);
    try {
      while (!this.closed && this.options.delivery.canDeliver(agentId)) {
        const notice = this.pendingNotices.get(agentId)?.[0];
        if (notice !== undefined) {
          if (!(await this.options.delivery.inject(agentId, notice))) return;
          const rest = this.pendingNotices.get(agentId)?.filter((text) => text !== notice) ?? [];
          if (rest.length > 0) this.pendingNotices.set(agentId, rest);
          else this.pendingNotices.delete(agentId);
          continue;
        }
        const next = this.options.messages.queuedFor(agentId)[0];
        if (!next) return;
        const sender = next.from === null ? null : (this.options.agents.get(next.from)?.name ?? next.from);
        const taken = await this.options.delivery.inject(agentId, formatMessageNotice(next, sender));
        if (!taken) return;
        for (const message of this.options.messages.markDelivered([next.id])) this.options.emit("message.updated", { message });
      }
    } finally {
      this.delivering.delete(agentId);
    }
  }

  /** Give a new message to the agent's oldest `wait_for_message`, if one is waiting. */
  private handToWaiter(agentId: string): boolean {
    const waiter = this.waiters.get(agentId)?.values().next().value;
    if (!waiter) return false;
    waiter.resolve(this.read(agentId));
    return true;
  }

  private recipients(from: string | null, to: string): Agent[] {
    if (to === "*") {
      const all = this.options.agents.listLive().filter((agent) => agent.id !== from);
      if (all.length === 0) throw new ClustrError("unknown_recipient", "no other agent is running to receive a broadcast");
      return all;
    }
    const agent = this.options.agents.get(to) ?? this.options.agents.getByName(to);
    if (!agent) throw new ClustrError("unknown_recipient", `no agent is named or numbered '${to}'`);
    if (isEnded(agent.status)) throw new ClustrError("unknown_recipient", `agent '${agent.name}' has ended (${agent.status})`);
    if (agent.id === from) throw new ClustrError("unknown_recipient", "an agent cannot message itself");
    return [agent];
  }

  private assertOpen(): void {
    if (this.closed) throw new ClustrError("conflict", "the broker is closed");
  }
}
