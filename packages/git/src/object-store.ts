import { createHash, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { deflate, deflateSync, inflateSync } from "node:zlib";

const deflateAsync = promisify(deflate);

/** Loose objects use git's `core.looseCompression` default: fastest zlib level. */
const LOOSE_COMPRESSION_LEVEL = 1;

/** Below this size the thread pool's round trip costs more than compressing in place. */
const SYNC_DEFLATE_MAX_BYTES = 64 * 1024;

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
  constructor(private readonly gitdir: string) {}

  /** Write an object whose id is already known; skips objects that exist as loose files. */
  async write(type: "blob" | "tree", oid: string, content: Uint8Array): Promise<void> {
    const dir = join(this.gitdir, "objects", oid.slice(0, 2));
    const file = join(dir, oid.slice(2));
    if (existsSync(file)) return;
    const raw = Buffer.concat([Buffer.from(`${type} ${content.length}\0`), content]);
    const options = { level: LOOSE_COMPRESSION_LEVEL };
    const data = raw.length <= SYNC_DEFLATE_MAX_BYTES ? deflateSync(raw, options) : await deflateAsync(raw, options);
    // Written under a temporary name and renamed, so a crash never leaves a truncated object
    // that later checkpoints would take for a complete one.
    const tmp = join(dir, `tmp_${randomBytes(6).toString("hex")}`);
    try {
      await writeFile(tmp, data, { mode: 0o444 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      // The fan-out folder is made on first use (gc removes empty ones).
      await mkdir(dir, { recursive: true });
      await writeFile(tmp, data, { mode: 0o444 });
    }
    await rename(tmp, file);
  }
}

/**
 * The content of a loose object, or undefined when it is not stored loose (packed by gc):
 * then isomorphic-git reads it. Reading loose objects here skips its pure-JS inflate.
 */
export async function readLooseObject(gitdir: string, oid: string, type: "blob" | "tree"): Promise<Buffer | undefined> {
  let data: Buffer;
  try {
    data = await readFile(join(gitdir, "objects", oid.slice(0, 2), oid.slice(2)));
  } catch {
    return undefined;
  }
  const raw = inflateSync(data);
  const nul = raw.indexOf(0);
  const header = raw.subarray(0, nul).toString("latin1");
  const content = raw.subarray(nul + 1);
  if (header !== `${type} ${content.length}`) throw new Error(`object ${oid} is damaged or not a ${type}`);
  return content;
}
