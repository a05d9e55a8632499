// TOML literals for Codex's `-c key=value` overrides. Codex parses each value as TOML, so every
// string must be a valid basic string: no raw newline, quote or backslash may end or bend it.

/** A TOML basic string: `"..."` with quotes, backslashes and control characters escaped. */
export function tomlString(value: string): string {
  let out = '"';
  for (const char of value) {
    const code = char.codePointAt(0) ?? 0;
    if (char === '"') out += '\\"';
    else if (char === "\\") out += "\\\\";
    else if (char === "\n") out += "\\n";
    else if (char === "\t") out += "\\t";
    else if (char === "\r") out += "\\r";
    else if (code < 0x20 || code === 0x7f) out += `\\u${code.toString(16).padStart(4, "0")}`;
    else out += char;
  }
  return `${out}"`;
}

/** A TOML key: bare when it can be, else quoted (paths with dots and slashes stay one key). */
export function tomlKey(key: string): string {
  return /^[A-Za-z0-9_-]+$/.test(key) ? key : tomlString(key);
}

/** A TOML array of already-formatted values. */
export function tomlArray(values: readonly string[]): string {
  return `[${values.join(", ")}]`;
}

/** A TOML inline table of `[key, already-formatted value]` pairs. */
export function tomlInlineTable(entries: ReadonlyArray<readonly [string, string]>): string {
  return `{${entries.map(([key, value]) => `${tomlKey(key)} = ${value}`).join(", ")}}`;
}
