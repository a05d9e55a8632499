// Installs the real CLIs once per run when the network allows (outside the loopback-only
// namespace). Inside it, nothing can be downloaded: tests then fail with the install command.
import { hasLoopbackOnly, installClis } from "../src/index.js";

export default async function setup(): Promise<void> {
  if (hasLoopbackOnly()) return;
  await installClis(undefined, (line) => process.stderr.write(`e2e: ${line}\n`));
}
