import { z } from "zod";
import { AgentSchema, ContextEntrySchema, ContextKeySchema, FileEventSchema, MessageSchema, TimestampSchema } from "./entities.js";

/** Event payloads by type. Terminal output has its own socket and is not an event. */
export const EventDataSchemas = {
  "agent.created": z.object({ agent: AgentSchema }),
  "agent.updated": z.object({ agent: AgentSchema }),
  "message.created": z.object({ message: MessageSchema }),
  "message.updated": z.object({ message: MessageSchema }),
  /** `entry` is null when the key was deleted. */
  "context.changed": z.object({ key: ContextKeySchema, entry: ContextEntrySchema.nullable() }),
  "rules.changed": z.object({ content: z.string() }),
  "file.changed": z.object({ event: FileEventSchema }),
  /** The replay window no longer holds what the client missed: reload the state. */
  reset: z.object({ reason: z.string() }),
} as const;

export type EventType = keyof typeof EventDataSchemas;
export const EVENT_TYPES = Object.keys(EventDataSchemas) as EventType[];
export type EventData<T extends EventType> = z.infer<(typeof EventDataSchemas)[T]>;

const envelope = <T extends EventType>(type: T) =>
  z.object({
    seq: z.int().nonnegative(),
    type: z.literal(type),
    at: TimestampSchema,
    data: EventDataSchemas[type],
  });

/** One event on `WS /api/events`: `{seq, type, at, data}`. */
export const ClustrEventSchema = z.discriminatedUnion("type", [
  envelope("agent.created"),
  envelope("agent.updated"),
  envelope("message.created"),
  envelope("message.updated"),
  envelope("context.changed"),
  envelope("rules.changed"),
  envelope("file.changed"),
  envelope("reset"),
]);
export type ClustrEvent = z.infer<typeof ClustrEventSchema>;

export const EventsQuerySchema = z.strictObject({ since: z.coerce.number().int().nonnegative().optional() });
export type EventsQuery = z.infer<typeof EventsQuerySchema>;
