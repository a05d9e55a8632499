/** One line of a gitignore file, compiled. */
export interface IgnoreRule {
  /** `!pattern`: a match re-includes the path. */
  negate: boolean;
  /** `pattern/`: matches directories only. */
  dirOnly: boolean;
  /**
   * Anchored patterns (a `/` at the start or in the middle) match the whole path relative
   * to the ignore file's folder; the others match the last path component only.
   */
  anchored: boolean;
  regex: RegExp;
}

const REGEX_SPECIAL = /[\\^$.*+?()[\]{}|/-]/;

const escapeChar = (ch: string): string => (REGEX_SPECIAL.test(ch) ? `\\${ch}` : ch);

/**
 * A bracket expression starting at `start` (the `[`): its regex class and where it ends, or
 * undefined when it is not closed (git then reads the `[` literally).
 */
function bracket(pattern: string, start: number): { source: string; end: number } | undefined {
  let i = start + 1;
  let negate = false;
  if (pattern[i] === "!" || pattern[i] === "^") {
    negate = true;
    i++;
  }
  let body = "";
  let first = true;
  for (; i < pattern.length; i++) {
    const ch = pattern[i] as string;
    if (ch === "]" && !first) {
      // A class never matches `/`: git matches with FNM_PATHNAME.
      return { source: negate ? `[^/${body}]` : `(?!/)[${body}]`, end: i };
    }
    first = false;
    if (ch === "\\" && i + 1 < pattern.length) {
      i++;
      body += escapeChar(pattern[i] as string);
    } else if (ch === "-" && body.length > 0 && pattern[i + 1] !== "]") {
      body += "-";
    } else if (ch === "[" && pattern[i + 1] === ":") {
      const close = pattern.indexOf(":]", i + 2);
      const name = close === -1 ? "" : pattern.slice(i + 2, close);
      const cls = POSIX_CLASSES[name];
      if (cls === undefined) return undefined;
      body += cls;
      i = close + 1;
    } else {
      body += escapeChar(ch);
    }
  }
  return undefined;
}

const POSIX_CLASSES: Record<string, string> = {
  alnum: "a-zA-Z0-9",
  alpha: "a-zA-Z",
  blank: " \\t",
  cntrl: "\\x00-\\x1f\\x7f",
  digit: "0-9",
  graph: "\\x21-\\x7e",
  lower: "a-z",
  print: "\\x20-\\x7e",
  punct: "!-\\/:-@\\[-`{-~",
  space: " \\t\\n\\r\\f\\v",
  upper: "A-Z",
  xdigit: "0-9a-fA-F",
};

/** The regex source of a glob in gitignore syntax (`*`, `?`, `[...]`, `**`, `\` escapes). */
function globToRegex(glob: string): string {
  let out = "";
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i] as string;
    if (ch === "*") {
      if (glob[i + 1] === "*") {
        const atStart = i === 0 || glob[i - 1] === "/";
        let j = i;
        while (glob[j] === "*") j++;
        const atEnd = j === glob.length || glob[j] === "/";
        if (atStart && atEnd) {
          if (j === glob.length) {
            // `dir/**`: everything inside; `**` alone: everything.
            out += ".*";
          } else {
            // `**/` at the start or `/**/` in the middle: zero or more folders.
            out += "(?:.*/)?";
            j++;
          }
          i = j - 1;
          continue;
        }
        // Other runs of asterisks are ordinary `*`.
        i = j - 1;
      }
      out += "[^/]*";
    } else if (ch === "?") {
      out += "[^/]";
    } else if (ch === "[") {
      const cls = bracket(glob, i);
      if (cls === undefined) {
        out += "\\[";
      } else {
        out += cls.source;
        i = cls.end;
      }
    } else if (ch === "\\") {
      // A trailing backslash matches nothing in git; an escaped character is literal.
      if (i + 1 >= glob.length) return "(?!)";
      i++;
      out += escapeChar(glob[i] as string);
    } else {
      out += escapeChar(ch);
    }
  }
  return out;
}

/** Trailing spaces are dropped unless escaped with a backslash. */
function trimTrailingSpaces(line: string): string {
  let end = line.length;
  while (end > 0 && line[end - 1] === " ") {
    let backslashes = 0;
    for (let k = end - 2; k >= 0 && line[k] === "\\"; k--) backslashes++;
    if (backslashes % 2 === 1) break;
    end--;
  }
  return line.slice(0, end);
}

/** Compile one gitignore line; undefined for blank lines and comments. */
export function compileIgnoreLine(raw: string): IgnoreRule | undefined {
  let line = trimTrailingSpaces(raw.endsWith("\r") ? raw.slice(0, -1) : raw);
  if (line === "" || line.startsWith("#")) return undefined;
  let negate = false;
  if (line.startsWith("!")) {
    negate = true;
    line = line.slice(1);
  }
  let dirOnly = false;
  if (line.endsWith("/") && !line.endsWith("\\/")) {
    dirOnly = true;
    line = line.replace(/\/+$/, "");
  }
  if (line === "") return undefined;
  const anchored = line.includes("/");
  if (line.startsWith("/")) line = line.slice(1);
  if (line === "") return undefined;
  return { negate, dirOnly, anchored, regex: new RegExp(`^${globToRegex(line)}$`) };
}

/** Compile the text of a gitignore file, in file order (the last matching rule decides). */
export function parseIgnoreFile(text: string): IgnoreRule[] {
  const rules: IgnoreRule[] = [];
  for (const line of text.split("\n")) {
    const rule = compileIgnoreLine(line);
    if (rule) rules.push(rule);
  }
  return rules;
}

/**
 * Whether `rule` matches `path` (relative to the rule's folder, `/` separators). Undefined
 * when it does not match; otherwise true for "ignored" and false for "re-included".
 */
export function matchRule(rule: IgnoreRule, path: string, isDir: boolean): boolean | undefined {
  if (rule.dirOnly && !isDir) return undefined;
  const subject = rule.anchored ? path : path.slice(path.lastIndexOf("/") + 1);
  return rule.regex.test(subject) ? !rule.negate : undefined;
}
