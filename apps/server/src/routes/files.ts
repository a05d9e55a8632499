import type { FastifyPluginAsync } from "fastify";
import { FilesQuerySchema, type FileEventListResponse } from "@clustr/protocol";
import type { WorkspaceRoutesOptions } from "./agents.js";

/** `GET /api/files`: the file-change log. */
export const fileRoutes: FastifyPluginAsync<WorkspaceRoutesOptions> = async (app, { workspace }) => {
  app.get("/api/files", async (request): Promise<FileEventListResponse> => {
    const query = FilesQuerySchema.parse(request.query);
    return { events: workspace.listFileEvents(query) };
  });
};
