import type { FastifyPluginAsync } from "fastify";
import { ClustrError, IMAGE_TYPES, LIMITS, type ImageUploadResponse } from "@clustr/protocol";
import type { WorkspaceRoutesOptions } from "./agents.js";

const ACCEPTED = Object.keys(IMAGE_TYPES);

function mediaType(header: string | undefined): string {
  return (header ?? "").split(";")[0]!.trim().toLowerCase();
}

/**
 * `POST /api/images`: a raw image body (PNG, JPEG, GIF or WebP, 20 MiB at most), stored by
 * content hash. Registered in its own encapsulated scope so that the image body parser and its
 * larger limit apply to this route only.
 */
export const imageRoutes: FastifyPluginAsync<WorkspaceRoutesOptions> = async (app, { workspace }) => {
  app.addContentTypeParser(ACCEPTED, { parseAs: "buffer", bodyLimit: LIMITS.imageMaxBytes }, (_request, body, done) => {
    done(null, body);
  });

  app.post(
    "/api/images",
    {
      bodyLimit: LIMITS.imageMaxBytes,
      // Refuse other types before the body is read, so a 20 MiB JSON body is never parsed.
      onRequest: async (request) => {
        if (!ACCEPTED.includes(mediaType(request.headers["content-type"]))) {
          throw new ClustrError("unsupported_media_type", `images must be sent as ${ACCEPTED.join(", ")} (raw body with that Content-Type)`);
        }
      },
    },
    async (request, reply): Promise<ImageUploadResponse> => {
      const body = request.body;
      if (!Buffer.isBuffer(body)) throw new ClustrError("validation_failed", "the image is empty");
      const saved = workspace.saveImage(body, mediaType(request.headers["content-type"]));
      void reply.code(201);
      return saved;
    },
  );
};
