import { z } from "zod";
import { LIMITS, utf8Length } from "./limits.js";

const maxBytes = (max: number, what: string) =>
  z.string().refine((s) => utf8Length(s) <= max, { message: `${what} is larger than ${max} bytes` });

/** ISO 8601 time, as every time on the wire is. */
export const TimestampSchema = z.iso.datetime({ offset: true });

export const AgentIdSchema = z.string().regex(/^[a-z0-9]{4,64}$/, "not an agent id");
export type AgentId = z.infer<typeof AgentIdSchema>;

/** Agent names: letters, digits, `-`, `_`; unique among agents that have not ended. */
export const AgentNameSchema = z
  .string()
  .min(1, "name is empty")
  .max(LIMITS.agentNameMaxChars, `name is longer than ${LIMITS.agentNameMaxChars} characters`)
  .regex(/^[A-Za-z0-9_-]+$/, "name may hold only letters, digits, '-' and '_'");

export const AgentKindSchema = z.enum(["claude", "codex", "command"]);
export type AgentKind = z.infer<typeof AgentKindSchema>;

export const AgentStatusSchema = z.enum(["starting", "running", "done", "failed", "killed"]);
export type AgentStatus = z.infer<typeof AgentStatusSchema>;

/** Statuses after which an agent never runs again. */
export const ENDED_STATUSES: readonly AgentStatus[] = ["done", "failed", "killed"];
export function isEnded(status: AgentStatus): boolean {
  return ENDED_STATUSES.includes(status);
}

export const AgentActivitySchema = z.enum(["busy", "idle", "needs-input"]);
export type AgentActivity = z.infer<typeof AgentActivitySchema>;

/**
 * `ask`: the CLI asks for everything beyond reading; `edits` (default): edits and the clustr
 * tools allowed, shell commands ask; `bypass`: no questions.
 */
export const PermissionModeSchema = z.enum(["ask", "edits", "bypass"]);
export type PermissionMode = z.infer<typeof PermissionModeSchema>;
export const PERMISSION_ORDER: Record<PermissionMode, number> = { ask: 0, edits: 1, bypass: 2 };

export const TaskSchema = maxBytes(LIMITS.taskMaxBytes, "task");

/** An absolute folder path (POSIX or Windows form). */
export const AbsolutePathSchema = z
  .string()
  .min(1)
  .max(4096)
  .refine((p) => p.startsWith("/") || /^[A-Za-z]:[\\/]/.test(p), { message: "path must be absolute" })
  .refine((p) => !p.includes("\0"), { message: "path holds a NUL character" });

export const AgentErrorSchema = z.object({
  code: z.string(),
  message: z.string(),
  hint: z.string().optional(),
  screen: z.string().optional(),
});
export type AgentError = z.infer<typeof AgentErrorSchema>;

export const AgentSchema = z.object({
  id: AgentIdSchema,
  name: AgentNameSchema,
  kind: AgentKindSchema,
  status: AgentStatusSchema,
  activity: AgentActivitySchema.nullable(),
  cwd: z.string(),
  task: z.string(),
  parentId: AgentIdSchema.nullable(),
  permissionMode: PermissionModeSchema,
  pid: z.int().nullable(),
  exitCode: z.int().nullable(),
  error: AgentErrorSchema.nullable(),
  sessionId: z.string().nullable(),
  checkpointId: z.string().nullable(),
  createdAt: TimestampSchema,
  endedAt: TimestampSchema.nullable(),
});
export type Agent = z.infer<typeof AgentSchema>;

export const MessageStateSchema = z.enum(["queued", "delivered", "read"]);
export type MessageState = z.infer<typeof MessageStateSchema>;

export const MessageBodyTextSchema = z
  .string()
  .min(1, "message body is empty")
  .refine((s) => utf8Length(s) <= LIMITS.messageBodyMaxBytes, {
    message: `message body is larger than ${LIMITS.messageBodyMaxBytes} bytes`,
  });

export const MessageSchema = z.object({
  id: z.int().positive(),
  /** Sender agent id, or null for the user. */
  from: AgentIdSchema.nullable(),
  /** Recipient agent id. */
  to: AgentIdSchema,
  body: z.string(),
  state: MessageStateSchema,
  createdAt: TimestampSchema,
  deliveredAt: TimestampSchema.nullable(),
  readAt: TimestampSchema.nullable(),
});
export type Message = z.infer<typeof MessageSchema>;

export const ContextKeySchema = z
  .string()
  .min(1, "key is empty")
  .max(LIMITS.contextKeyMaxChars, `key is longer than ${LIMITS.contextKeyMaxChars} characters`)
  // Printable characters only: keys show in a table and in tool results.
  .regex(/^[^\p{Cc}\p{Cf}\s]+$/u, "key may not hold whitespace or control characters");

export const ContextValueSchema = maxBytes(LIMITS.contextValueMaxBytes, "value");
export const VersionSchema = z.int().positive();

export const ContextEntrySchema = z.object({
  key: ContextKeySchema,
  value: z.string(),
  /** Agent id of the last writer, or null for the user. */
  author: AgentIdSchema.nullable(),
  version: VersionSchema,
  updatedAt: TimestampSchema,
});
export type ContextEntry = z.infer<typeof ContextEntrySchema>;

export const FileEventKindSchema = z.enum(["add", "change", "unlink"]);
export type FileEventKind = z.infer<typeof FileEventKindSchema>;

export const FileEventSchema = z.object({
  id: z.int().positive(),
  /** The watched folder. */
  cwd: z.string(),
  /** Path relative to `cwd`, with `/` separators. */
  path: z.string(),
  kind: FileEventKindSchema,
  /** Agents running in `cwd` when the change happened. */
  agentIds: z.array(AgentIdSchema),
  at: TimestampSchema,
});
export type FileEvent = z.infer<typeof FileEventSchema>;

export const CheckpointSchema = z.object({
  id: z.string(),
  cwd: z.string(),
  /** Commit id in the shadow repository. */
  commit: z.string(),
  agentId: AgentIdSchema.nullable(),
  /** Why it was taken: before an agent started, before a rollback, ... */
  reason: z.enum(["agent-start", "pre-rollback", "manual"]),
  createdAt: TimestampSchema,
});
export type Checkpoint = z.infer<typeof CheckpointSchema>;

export const RulesContentSchema = maxBytes(LIMITS.rulesMaxBytes, "rules");
