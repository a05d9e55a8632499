// Chromium driven over the DevTools protocol with nothing but the domains a benchmark needs.
//
// Why not playwright here: playwright enables the Network domain on every page it drives, and
// with it Chromium copies each WebSocket frame the page receives, base64-encoded, into a
// `Network.webSocketFrameReceived` event for the driver. During a terminal flood that is every
// byte of output encoded and shipped once more (the renderer, the browser process and the
// driver each spent as much CPU on those copies as on the terminal), so a benchmark driven by
// playwright measures playwright. The browser tests keep playwright; this driver only enables
// Page (load events and the init script), and sends Runtime, Input, Performance, Profiler and
// SystemInfo commands.
//
// Chromium is started with --remote-debugging-pipe: commands go in on fd 3 and replies come out
// on fd 4, each message JSON ending in a NUL byte.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Keys this driver can press: a printable character, or one of these names. */
const NAMED_KEYS = {
  Enter: { code: "Enter", keyCode: 13, text: "\r" },
  Backspace: { code: "Backspace", keyCode: 8 },
  Escape: { code: "Escape", keyCode: 27 },
  Tab: { code: "Tab", keyCode: 9 },
};

function keyEvent(key) {
  const named = NAMED_KEYS[key];
  if (named) return { key, code: named.code, windowsVirtualKeyCode: named.keyCode, text: named.text };
  if ([...key].length !== 1) throw new Error(`cannot press ${JSON.stringify(key)}: a single character or one of ${Object.keys(NAMED_KEYS).join(", ")}`);
  const upper = key.toUpperCase();
  const letter = /^[A-Z]$/.test(upper);
  const digit = /^[0-9]$/.test(key);
  return {
    key,
    code: letter ? `Key${upper}` : digit ? `Digit${key}` : "",
    windowsVirtualKeyCode: letter || digit ? upper.charCodeAt(0) : 0,
    text: key,
    unmodifiedText: key,
  };
}

/** An expression that calls `fn` with `arg` (JSON) in the page. */
function call(fn, arg) {
  return `(${fn.toString()})(${JSON.stringify(arg ?? null)})`;
}

class Connection {
  #next = 1;
  #pending = new Map();
  #listeners = new Set();
  #buffer = "";
  #closed = null;

  constructor(input, output) {
    this.input = input;
    output.setEncoding("utf8");
    output.on("data", (text) => {
      const parts = (this.#buffer + text).split("\0");
      this.#buffer = parts.pop() ?? "";
      for (const part of parts) this.#receive(JSON.parse(part));
    });
    output.on("close", () => this.#fail(new Error("Chromium closed its DevTools pipe")));
  }

  #receive(message) {
    if (message.id === undefined) {
      for (const listener of this.#listeners) listener(message);
      return;
    }
    const waiting = this.#pending.get(message.id);
    if (!waiting) return;
    this.#pending.delete(message.id);
    if (message.error) waiting.reject(new Error(`${waiting.method}: ${message.error.message}${message.error.data ? ` (${message.error.data})` : ""}`));
    else waiting.resolve(message.result);
  }

  #fail(error) {
    this.#closed = error;
    for (const waiting of this.#pending.values()) waiting.reject(error);
    this.#pending.clear();
  }

  send(method, params = {}, sessionId) {
    if (this.#closed) return Promise.reject(this.#closed);
    const id = this.#next++;
    this.input.write(`${JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) })}\0`);
    return new Promise((resolve, reject) => this.#pending.set(id, { resolve, reject, method }));
  }

  /** The next event `method` of `sessionId` (undefined: the browser's own). */
  once(method, sessionId, timeoutMs = 30_000) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#listeners.delete(listener);
        reject(new Error(`no ${method} within ${timeoutMs} ms`));
      }, timeoutMs);
      const listener = (message) => {
        if (message.method !== method || message.sessionId !== sessionId) return;
        clearTimeout(timer);
        this.#listeners.delete(listener);
        resolve(message.params);
      };
      this.#listeners.add(listener);
    });
  }
}

/** One tab. */
class Page {
  constructor(connection, sessionId) {
    this.connection = connection;
    this.sessionId = sessionId;
  }

  send(method, params) {
    return this.connection.send(method, params, this.sessionId);
  }

  /** Run `fn(arg)` in every document this page loads from now on, before its own scripts. */
  async addInitScript(fn, arg) {
    await this.send("Page.addScriptToEvaluateOnNewDocument", { source: call(fn, arg) });
  }

  async goto(url) {
    const loaded = this.connection.once("Page.loadEventFired", this.sessionId);
    const { errorText } = await this.send("Page.navigate", { url });
    if (errorText) throw new Error(`could not open ${url}: ${errorText}`);
    await loaded;
  }

  /** `fn(arg)` in the page (awaited when it returns a promise); its result as JSON. */
  async evaluate(fn, arg) {
    const { result, exceptionDetails } = await this.send("Runtime.evaluate", { expression: call(fn, arg), awaitPromise: true, returnByValue: true });
    if (exceptionDetails) throw new Error(`in the page: ${exceptionDetails.exception?.description ?? exceptionDetails.text}`);
    return result.value;
  }

  /** Wait until `fn(arg)` is truthy in the page, checked there every `polling` ms. */
  async waitForFunction(fn, arg, { timeout = 30_000, polling = 20 } = {}) {
    const found = await this.evaluate(
      ([source, value, every, limit]) =>
        new Promise((resolve) => {
          // The predicate comes from the benchmark as text over the protocol.
          const check = new Function(`return (${source})(arguments[0]);`);
          const until = performance.now() + limit;
          const poll = () => {
            if (check(value)) resolve(true);
            else if (performance.now() > until) resolve(false);
            else setTimeout(poll, every);
          };
          poll();
        }),
      [fn.toString(), arg ?? null, polling, timeout],
    );
    if (!found) throw new Error(`timed out after ${timeout} ms waiting for ${fn.toString().slice(0, 120)}`);
  }

  /** Press and release `key` (a character, or Enter, Backspace, Escape, Tab). */
  async press(key) {
    const event = keyEvent(key);
    await this.send("Input.dispatchKeyEvent", { type: "keyDown", ...event });
    await this.send("Input.dispatchKeyEvent", { type: "keyUp", key: event.key, code: event.code, windowsVirtualKeyCode: event.windowsVirtualKeyCode });
  }

  async type(text) {
    for (const key of text) await this.press(key);
  }
}

/**
 * Start Chromium (`executablePath`, extra `args`) with a blank profile. `newPage` opens a tab of
 * `width` x `height`; `send` reaches the browser itself (SystemInfo); `close` ends it all.
 */
export async function launchChromium({ executablePath, args = [] }) {
  const profile = mkdtempSync(join(tmpdir(), "clustr-bench-chromium-"));
  const child = spawn(executablePath, [...args, "--remote-debugging-pipe", `--user-data-dir=${profile}`, "about:blank"], { stdio: ["ignore", "ignore", "pipe", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (chunk) => {
    if (stderr.length < 8192) stderr += chunk;
  });
  const exited = new Promise((resolve) => child.once("exit", resolve));
  const connection = new Connection(child.stdio[3], child.stdio[4]);
  try {
    await connection.send("Browser.getVersion");
  } catch (error) {
    child.kill("SIGKILL");
    rmSync(profile, { recursive: true, force: true });
    throw new Error(`Chromium did not start: ${error.message}\n${stderr}`, { cause: error });
  }
  return {
    send: (method, params) => connection.send(method, params),
    async newPage({ width, height }) {
      const { targetId } = await connection.send("Target.createTarget", { url: "about:blank", newWindow: true });
      const { sessionId } = await connection.send("Target.attachToTarget", { targetId, flatten: true });
      const page = new Page(connection, sessionId);
      await page.send("Page.enable");
      await page.send("Emulation.setDeviceMetricsOverride", { width, height, deviceScaleFactor: 1, mobile: false });
      return page;
    },
    async close() {
      await connection.send("Browser.close").catch(() => undefined);
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
