import { createHash, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { deflate } from "node:zlib";

const deflateAsync = promisify(deflate);

/** Loose objects use git's `core.looseCompression` default: fastest zlib level. */
const LOOSE_COMPRESSION_LEVEL = 1;

/** The git object id of `content` stored as an object of `type`. */
export function objectId(type: "blob" | "tree", content: Uint8Array): string {
  return createHash("sha1").update(`${type} ${content.length}\0`).update(content).digest("hex");
}

/**
 * Writes loose objects into a gitdir the way git does (zlib, `objects/xx/yyyy`), using Node's
 * native zlib and hash on the thread pool. isomorphic-git reads them back; it is not used for
 * writing blobs because its pure-JS hash and deflate dominate the first checkpoint of a real
 * repository.
 */
export class ObjectWriter {
  private readonly madeDirs = new Set<string>();

  constructor(private readonly gitdir: string) {}

  /** Write an object whose id is already known; skips objects that exist as loose files. */
  async write(type: "blob" | "tree", oid: string, content: Uint8Array): Promise<void> {
    const dir = join(this.gitdir, "objects", oid.slice(0, 2));
    const file = join(dir, oid.slice(2));
    if (existsSync(file)) return;
    if (!this.madeDirs.has(dir)) {
      await mkdir(dir, { recursive: true });
      this.madeDirs.add(dir);
    }
    const header = Buffer.from(`${type} ${content.length}\0`);
    const data = await deflateAsync(Buffer.concat([header, content]), { level: LOOSE_COMPRESSION_LEVEL });
    // Written under a temporary name and renamed, so a crash never leaves a truncated object
    // that later checkpoints would take for a complete one.
    const tmp = join(dir, `tmp_${randomBytes(6).toString("hex")}`);
    await writeFile(tmp, data, { mode: 0o444 });
    await rename(tmp, file);
  }
}
