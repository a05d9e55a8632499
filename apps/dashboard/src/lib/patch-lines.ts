/** One line of a unified diff, with what it is for colouring. */
export interface PatchLine {
  kind: "add" | "del" | "hunk" | "meta" | "context";
  text: string;
}

/** Splits a unified diff into lines tagged as added, deleted, hunk header, file header or context. */
export function patchLines(patch: string): PatchLine[] {
  const lines = patch.endsWith("\n") ? patch.slice(0, -1).split("\n") : patch.split("\n");
  return lines.map((text) => {
    if (text.startsWith("+++") || text.startsWith("---") || text.startsWith("diff ") || text.startsWith("index ") || text.startsWith("\\")) return { kind: "meta", text };
    if (text.startsWith("@@")) return { kind: "hunk", text };
    if (text.startsWith("+")) return { kind: "add", text };
    if (text.startsWith("-")) return { kind: "del", text };
    return { kind: "context", text };
  });
}
