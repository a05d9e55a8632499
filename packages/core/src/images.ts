import { createHash } from "node:crypto";
import { existsSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ClustrError, IMAGE_TYPES, LIMITS, type ImageMimeType } from "@clustr/protocol";

/** The image type a buffer's first bytes say it is, or null. */
export function sniffImageType(bytes: Uint8Array): ImageMimeType | null {
  const starts = (...sig: number[]) => sig.every((b, i) => bytes[i] === b);
  if (starts(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return "image/png";
  if (starts(0xff, 0xd8, 0xff)) return "image/jpeg";
  if (starts(0x47, 0x49, 0x46, 0x38)) return "image/gif";
  if (starts(0x52, 0x49, 0x46, 0x46) && bytes[8] === 0x57 && bytes[9] === 0x45 && bytes[10] === 0x42 && bytes[11] === 0x50) return "image/webp";
  return null;
}

/**
 * Store an image pasted into a task under `images/`, named by its content hash. The declared
 * type must match the bytes; only PNG, JPEG, GIF and WebP up to 20 MiB are taken.
 */
export function saveImage(imagesDir: string, bytes: Uint8Array, declaredType?: string): { id: string; path: string } {
  if (bytes.length === 0) throw new ClustrError("validation_failed", "the image is empty");
  if (bytes.length > LIMITS.imageMaxBytes) throw new ClustrError("payload_too_large", `images are limited to ${LIMITS.imageMaxBytes} bytes`);
  const type = sniffImageType(bytes);
  if (!type) throw new ClustrError("unsupported_media_type", "only PNG, JPEG, GIF and WebP images are accepted");
  if (declaredType !== undefined && declaredType !== type) {
    throw new ClustrError("unsupported_media_type", `the body is ${type}, not ${declaredType}`);
  }
  const id = `${createHash("sha256").update(bytes).digest("hex")}.${IMAGE_TYPES[type]}`;
  const path = join(imagesDir, id);
  if (!existsSync(path)) {
    const temp = `${path}.${process.pid}.tmp`;
    writeFileSync(temp, bytes, { mode: 0o600 });
    renameSync(temp, path);
  }
  return { id, path };
}
