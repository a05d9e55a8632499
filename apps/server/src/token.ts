import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/** Bytes of randomness in an access token: 256 bits, well above the 128 DESIGN.md asks for. */
const TOKEN_BYTES = 32;

/** A fresh access token (base64url, 43 characters). A new one is made at every start. */
export function generateToken(): string {
  return randomBytes(TOKEN_BYTES).toString("base64url");
}

/**
 * Compare a presented token with the expected one in constant time. Both sides are hashed first
 * so that neither the content nor the length of the secret leaks through timing.
 */
export function tokensEqual(presented: string, expected: string): boolean {
  const a = createHash("sha256").update(presented, "utf8").digest();
  const b = createHash("sha256").update(expected, "utf8").digest();
  return timingSafeEqual(a, b);
}
