import { accessSync, constants, statSync } from "node:fs";
import { delimiter, isAbsolute, join, resolve } from "node:path";
import { ClustrError } from "@clustr/protocol";

function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Find a program the way a shell would: a name with a slash is a path (relative to `cwd`),
 * anything else is looked up on `env.PATH`. Returns its absolute path.
 * Throws `cli_not_found` (with `hint`) or `not_executable`.
 */
export function resolveExecutable(name: string, env: NodeJS.ProcessEnv, cwd: string, hint?: string): string {
  if (name === "" || name.includes("\0")) throw new ClustrError("bad_request", "the program name is empty or contains a NUL character");
  const candidates = name.includes("/")
    ? [isAbsolute(name) ? name : resolve(cwd, name)]
    : (env.PATH ?? "").split(delimiter).map((dir) => resolve(cwd, join(dir === "" ? "." : dir, name)));
  const found = candidates.find(isExecutableFile);
  if (found) return found;
  const present = candidates.find(exists);
  if (present) throw new ClustrError("not_executable", `${present} is not an executable file`, { data: { path: present } });
  throw new ClustrError("cli_not_found", name.includes("/") ? `${name} does not exist` : `${name} was not found on PATH`, {
    ...(hint ? { hint } : {}),
    data: { program: name },
  });
}
