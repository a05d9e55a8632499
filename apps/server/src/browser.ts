import { spawn } from "node:child_process";

/** Whether to open the browser: not with `--no-open`, `BROWSER=none`, or when stdout is not a terminal. */
export function shouldOpenBrowser(open: boolean, env: NodeJS.ProcessEnv, stdoutIsTTY: boolean): boolean {
  return open && env.BROWSER !== "none" && stdoutIsTTY;
}

/** The program and arguments that open `url`: `$BROWSER` when set, else the platform's opener. */
export function browserCommand(url: string, env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform): { command: string; args: string[] } {
  // $BROWSER is, by convention, a colon-separated list of commands, each possibly with `%s`.
  const configured = env.BROWSER?.split(":")[0]?.trim();
  if (configured) {
    const words = configured.split(/\s+/);
    const args = words.slice(1);
    const withUrl = args.some((a) => a.includes("%s")) ? args.map((a) => a.replaceAll("%s", url)) : [...args, url];
    return { command: words[0] ?? configured, args: withUrl };
  }
  if (platform === "darwin") return { command: "open", args: [url] };
  // `start` is a cmd built-in; its first quoted argument is the window title (Node quotes an
  // empty argument as "").
  if (platform === "win32") return { command: "cmd", args: ["/c", "start", "", url] };
  return { command: "xdg-open", args: [url] };
}

/**
 * Open `url` in the user's browser without waiting for it. Resolves to null once the opener
 * started, or to the reason it could not be started (the caller prints the URL anyway).
 */
export function openBrowser(url: string, env: NodeJS.ProcessEnv = process.env): Promise<string | null> {
  const { command, args } = browserCommand(url, env);
  return new Promise((resolve) => {
    try {
      const child = spawn(command, args, { stdio: "ignore", detached: true, env, windowsHide: true });
      child.once("error", (error) => resolve(`could not run ${command}: ${error.message}`));
      child.once("spawn", () => {
        child.unref();
        resolve(null);
      });
    } catch (error) {
      resolve(`could not run ${command}: ${(error as Error).message}`);
    }
  });
}
