import { randomBytes } from "node:crypto";

/** 16 lowercase hex characters: 64 random bits, short enough to read in a notice. */
export function newId(): string {
  return randomBytes(8).toString("hex");
}
