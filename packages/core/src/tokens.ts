import { createHash, randomBytes } from "node:crypto";

/** A new agent token: 256 random bits, URL-safe. */
export function newAgentToken(): string {
  return randomBytes(32).toString("base64url");
}

/** What the store keeps of a token: its sha256, hex. */
export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}
