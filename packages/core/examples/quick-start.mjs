// A runnable tour of @clustr/core: open a workspace, start two terminal programs as agents,
// send one a message, share a note, then close everything.
//   node examples/quick-start.mjs <data-folder> <project-folder>
import { createWorkspace } from "@clustr/core";

const [dataDir, projectDir] = process.argv.slice(2);
const workspace = await createWorkspace({ dataDir });
workspace.subscribe((event) => {
  if (event.type === "agent.updated") console.log(`event ${event.seq}: ${event.data.agent.name} is ${event.data.agent.status}`);
});

const shell = { kind: "command", command: "bash", args: ["--norc", "--noprofile"], cwd: projectDir };
const lead = workspace.spawn({ ...shell, name: "lead", task: "echo lead ready" });
const helper = workspace.spawn({ ...shell, name: "helper", task: "echo helper ready" });

const until = async (check) => {
  while (!check()) await new Promise((resolve) => setTimeout(resolve, 50));
};
await until(() => [lead, helper].every((a) => workspace.get(a.id).status === "running" && workspace.get(a.id).activity === "idle"));

// The message is stored, then typed into helper's terminal as a one-line notice.
const [message] = await workspace.sendMessage("helper", "please run the tests", { kind: "agent", agentId: lead.id });
await until(() => workspace.screen(helper.id).includes(`message #${message.id} from lead`));
console.log(`helper read: ${workspace.readMessages(helper.id).map((m) => m.body).join(", ")}`);

const note = workspace.setContext("plan", "lead writes, helper tests");
console.log(`context plan v${note.version}: ${workspace.getContext("plan").value}`);

await workspace.close();
console.log("closed");
