import type { FastifyPluginAsync } from "fastify";
import { MessagesQuerySchema, SendMessageBodySchema, type MessageListResponse, type MessageResponse } from "@clustr/protocol";
import type { WorkspaceRoutesOptions } from "./agents.js";

/** `/api/messages`: the message log, and sending as the user. */
export const messageRoutes: FastifyPluginAsync<WorkspaceRoutesOptions> = async (app, { workspace }) => {
  app.get("/api/messages", async (request): Promise<MessageListResponse> => {
    const query = MessagesQuerySchema.parse(request.query);
    return { messages: workspace.listMessages(query) };
  });

  app.post("/api/messages", async (request, reply): Promise<MessageResponse | MessageListResponse> => {
    const { to, body } = SendMessageBodySchema.parse(request.body);
    // Resolves once committed: a 201 means the message survives a crash.
    const messages = await workspace.sendMessage(to, body, { kind: "user" });
    void reply.code(201);
    // A broadcast is one message per recipient.
    if (to === "*") return { messages };
    return { message: messages[0]! };
  });
};
