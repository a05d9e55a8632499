/** Now, as the ISO 8601 UTC text every stored time uses. */
export function nowIso(): string {
  return new Date().toISOString();
}
