import { z } from "zod";
import {
  AbsolutePathSchema,
  AgentIdSchema,
  AgentKindSchema,
  AgentNameSchema,
  AgentSchema,
  ContextEntrySchema,
  ContextKeySchema,
  ContextValueSchema,
  FileEventSchema,
  MessageBodyTextSchema,
  MessageSchema,
  PermissionModeSchema,
  RulesContentSchema,
  TaskSchema,
  VersionSchema,
} from "./entities.js";
import { LIMITS, utf8Length } from "./limits.js";

/** `to` of a message: an agent name or id, or `*` for every agent that has not ended. */
export const RecipientSchema = z.union([z.literal("*"), AgentIdSchema, AgentNameSchema]);

/** An image attached to a task: the id returned by `POST /api/images`. */
export const ImageIdSchema = z.string().regex(/^[a-f0-9]{64}\.(png|jpg|gif|webp)$/, "not an image id");

// ---- agents ---------------------------------------------------------------------------------

export const SpawnAgentBodySchema = z
  .strictObject({
    name: AgentNameSchema,
    kind: AgentKindSchema,
    task: TaskSchema,
    cwd: AbsolutePathSchema,
    command: z.string().min(1).max(4096).optional(),
    args: z.array(z.string().max(LIMITS.commandArgMaxChars)).max(LIMITS.commandArgsMax).optional(),
    images: z.array(ImageIdSchema).max(LIMITS.imagesPerSpawnMax).optional(),
    permissionMode: PermissionModeSchema.optional(),
  })
  .superRefine((body, ctx) => {
    if (body.kind === "command" && body.command === undefined) {
      ctx.addIssue({ code: "custom", path: ["command"], message: "a command agent needs `command`" });
    }
    if (body.kind !== "command" && (body.command !== undefined || body.args !== undefined)) {
      ctx.addIssue({ code: "custom", path: ["command"], message: "`command` and `args` are for command agents only" });
    }
  });
export type SpawnAgentBody = z.infer<typeof SpawnAgentBodySchema>;

export const AgentResponseSchema = z.object({ agent: AgentSchema });
export type AgentResponse = z.infer<typeof AgentResponseSchema>;
export const AgentListResponseSchema = z.object({ agents: z.array(AgentSchema) });
export type AgentListResponse = z.infer<typeof AgentListResponseSchema>;

export const InputBodySchema = z.strictObject({
  text: z.string().refine((s) => utf8Length(s) <= LIMITS.inputMaxBytes, {
    message: `text is larger than ${LIMITS.inputMaxBytes} bytes`,
  }),
  submit: z.boolean().default(true),
});
export type InputBody = z.infer<typeof InputBodySchema>;

export const ScreenResponseSchema = z.object({ screen: z.string() });
export type ScreenResponse = z.infer<typeof ScreenResponseSchema>;

export const DiffFileSchema = z.object({
  path: z.string(),
  status: z.enum(["added", "modified", "deleted"]),
  binary: z.boolean(),
  patch: z.string(),
});
export type DiffFile = z.infer<typeof DiffFileSchema>;
export const DiffResponseSchema = z.object({ files: z.array(DiffFileSchema) });
export type DiffResponse = z.infer<typeof DiffResponseSchema>;

/** A path inside the agent's folder: relative, no `..` segment. */
export const RelativePathSchema = z
  .string()
  .min(1)
  .max(4096)
  .refine((p) => !p.startsWith("/") && !/^[A-Za-z]:/.test(p), { message: "path must be relative" })
  .refine((p) => !p.split(/[\\/]/).includes(".."), { message: "path may not leave the folder" })
  .refine((p) => !p.includes("\0"), { message: "path holds a NUL character" });

export const RollbackBodySchema = z.strictObject({
  preview: z.boolean().optional(),
  undo: z.boolean().optional(),
  paths: z.array(RelativePathSchema).min(1).max(LIMITS.rollbackPathsMax).optional(),
});
export type RollbackBody = z.infer<typeof RollbackBodySchema>;

export const ChangedPathSchema = z.object({
  path: z.string(),
  status: z.enum(["added", "modified", "deleted"]),
  /** Agent ids, or "user", that changed the path since the checkpoint. */
  changedBy: z.array(z.union([AgentIdSchema, z.literal("user")])),
});
export type ChangedPath = z.infer<typeof ChangedPathSchema>;
export const RollbackResponseSchema = z.object({
  changed: z.array(ChangedPathSchema),
  undoCheckpointId: z.string().nullable(),
});
export type RollbackResponse = z.infer<typeof RollbackResponseSchema>;

// ---- lists ----------------------------------------------------------------------------------

/** Query strings arrive as text: numbers are coerced, then bounded. */
const afterSchema = z.coerce.number().int().nonnegative();
const limitSchema = z.coerce.number().int().min(1).max(LIMITS.listMaxLimit).default(LIMITS.listDefaultLimit);

export const MessagesQuerySchema = z.strictObject({
  agent: z.union([AgentIdSchema, AgentNameSchema]).optional(),
  after: afterSchema.optional(),
  limit: limitSchema,
});
export type MessagesQuery = z.infer<typeof MessagesQuerySchema>;

export const FilesQuerySchema = z.strictObject({
  agent: z.union([AgentIdSchema, AgentNameSchema]).optional(),
  after: afterSchema.optional(),
  limit: limitSchema,
});
export type FilesQuery = z.infer<typeof FilesQuerySchema>;

// ---- messages -------------------------------------------------------------------------------

export const SendMessageBodySchema = z.strictObject({ to: RecipientSchema, body: MessageBodyTextSchema });
export type SendMessageBody = z.infer<typeof SendMessageBodySchema>;
export const MessageResponseSchema = z.object({ message: MessageSchema });
export type MessageResponse = z.infer<typeof MessageResponseSchema>;
export const MessageListResponseSchema = z.object({ messages: z.array(MessageSchema) });
export type MessageListResponse = z.infer<typeof MessageListResponseSchema>;

// ---- context and rules ----------------------------------------------------------------------

export const PutContextBodySchema = z.strictObject({ value: ContextValueSchema, version: VersionSchema.optional() });
export type PutContextBody = z.infer<typeof PutContextBodySchema>;
export const ContextEntryResponseSchema = z.object({ entry: ContextEntrySchema });
export type ContextEntryResponse = z.infer<typeof ContextEntryResponseSchema>;
export const ContextListResponseSchema = z.object({ entries: z.array(ContextEntrySchema) });
export type ContextListResponse = z.infer<typeof ContextListResponseSchema>;
export const ContextKeyParamSchema = z.object({ key: ContextKeySchema });

export const RulesBodySchema = z.strictObject({ content: RulesContentSchema });
export type RulesBody = z.infer<typeof RulesBodySchema>;

// ---- files, images, health ------------------------------------------------------------------

export const FileEventListResponseSchema = z.object({ events: z.array(FileEventSchema) });
export type FileEventListResponse = z.infer<typeof FileEventListResponseSchema>;

export const IMAGE_TYPES = {
  "image/png": "png",
  "image/jpeg": "jpg",
  "image/gif": "gif",
  "image/webp": "webp",
} as const;
export type ImageMimeType = keyof typeof IMAGE_TYPES;

export const ImageUploadResponseSchema = z.object({ id: ImageIdSchema, path: z.string() });
export type ImageUploadResponse = z.infer<typeof ImageUploadResponseSchema>;

export const HealthResponseSchema = z.object({ ok: z.literal(true), version: z.string() });
export type HealthResponse = z.infer<typeof HealthResponseSchema>;

/** `server.json` in the data folder, written once the server listens. */
export const ServerInfoSchema = z.object({
  pid: z.int().positive(),
  port: z.int().min(1).max(65535),
  url: z.string().regex(/^http:\/\/127\.0\.0\.1:\d+$/),
  token: z.string().min(22),
});
export type ServerInfo = z.infer<typeof ServerInfoSchema>;

// ---- terminal socket ------------------------------------------------------------------------

/**
 * What the browser sends on `WS /api/agents/:id/terminal` (text frames, JSON): keys typed
 * (`input`), the terminal's size (`resize`), and flow control (`ack`).
 *
 * `ack.bytes` is the total of output bytes the client has received on this socket and shown
 * (its terminal has parsed them), counted from the socket's first frame, scrollback included.
 * The first `ack` turns flow control on for the socket: from then on the server sends a frame
 * only while at most {@link LIMITS}.terminalAckWindowBytes are unacknowledged, and output waits
 * (in the end pausing the program) until the client catches up. A client that acknowledges
 * must do so at the latest whenever it has shown everything it received; one that never sends
 * `ack` gets output as fast as the socket takes it.
 */
export const TerminalClientMessageSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("input"), data: z.string().max(LIMITS.inputMaxBytes) }),
  z.object({ type: z.literal("resize"), cols: z.int().min(2).max(1000), rows: z.int().min(1).max(1000) }),
  z.object({ type: z.literal("ack"), bytes: z.int().nonnegative().max(Number.MAX_SAFE_INTEGER) }),
]);
export type TerminalClientMessage = z.infer<typeof TerminalClientMessageSchema>;

