// Ships the dashboard inside clustr-ai: copies apps/dashboard/build to dist/dashboard when a
// build exists. Without one the server serves its placeholder page, so a missing build is a
// note, not a failure.
import { cpSync, existsSync, rmSync } from "node:fs";
import { fileURLToPath } from "node:url";

const source = fileURLToPath(new URL("../../dashboard/build/", import.meta.url));
const target = fileURLToPath(new URL("../dist/dashboard/", import.meta.url));

rmSync(target, { recursive: true, force: true });
if (existsSync(`${source}index.html`)) {
  cpSync(source, target, { recursive: true });
  process.stdout.write(`copied the dashboard build into ${target}\n`);
} else {
  process.stdout.write("no dashboard build found (apps/dashboard/build): the server will serve its placeholder page\n");
}
