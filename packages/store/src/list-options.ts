import { LIMITS } from "@clustr/protocol";
import { ensure } from "./errors.js";

/** Options of the paged lists: oldest first, ids greater than `after`, at most `limit`. */
export interface ListOptions {
  /** Only rows of this agent id. */
  agent?: string;
  /** Only rows with an id greater than this. */
  after?: number;
  /** At most this many rows (default 100, at most 10,000). */
  limit?: number;
}

export function pageBounds(options: ListOptions): { after: number; limit: number } {
  const after = options.after ?? 0;
  const limit = options.limit ?? LIMITS.listDefaultLimit;
  ensure(Number.isSafeInteger(after) && after >= 0, "after must be a non-negative integer", "after");
  ensure(
    Number.isSafeInteger(limit) && limit >= 1 && limit <= LIMITS.listMaxLimit,
    `limit must be an integer from 1 to ${LIMITS.listMaxLimit}`,
    "limit",
  );
  return { after, limit };
}
