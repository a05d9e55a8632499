import type { FileEventKind } from "@clustr/protocol";

/**
 * What one path's changes within a debounce window add up to: `earlier` was pending, `later`
 * just happened; undefined means nothing happened after all.
 *
 * The later kind wins, except: a file added then changed is still new (`add`); a file added
 * then removed never existed for anyone (nothing); a file removed then added again existed
 * before the window, so it changed (`change`, as chokidar itself reports a quick re-add).
 */
export function mergeKinds(earlier: FileEventKind | undefined, later: FileEventKind): FileEventKind | undefined {
  if (earlier === undefined) return later;
  if (earlier === "add") {
    if (later === "unlink") return undefined;
    return "add";
  }
  // The file existed before the window (it was changed or removed), so a re-add is a change.
  if (later === "add") return "change";
  return later;
}
