import { type ChildProcess, spawn } from "node:child_process";
import { rmSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO_ROOT } from "../../support/corpus.js";
import { send, type TestAnswer } from "../../support/http-client.js";
import { cleanUpOnExit } from "./cleanup-on-exit.js";
import { freePort } from "./registry-harness.js";

/** What `startServe` needs: the configuration (written to a temp file) and extra flags or environment. */
export interface ServeOptions {
  /** The `cipolice serve` configuration; `listen` is set to 127.0.0.1 and a free port by the harness. */
  config: Record<string, unknown>;
  /** Extra command-line flags after `serve --config FILE --data-dir DIR`. */
  args?: string[];
  /** Extra environment variables of the child. */
  env?: Record<string, string>;
  /** How long to wait for `/readyz` 200; default 20 000 ms. */
  readyTimeoutMs?: number;
  /** Listen on this port (one `freePort` gave, so another server can be told it first); default a free one. */
  port?: number;
}

/** One HTTP answer of the server, with how long it took. */
export type ServeResponse = TestAnswer;

/** A running `cipolice serve` child process. */
export interface RunningServe {
  /** `http://127.0.0.1:PORT`. */
  url: string;
  port: number;
  pid: number;
  /** The data directory (temp; removed by `stop()`). */
  dataDir: string;
  /** The configuration file the child reads. */
  configFile: string;
  /**
   * SIGTERM, then SIGKILL after 5 s; removes the temp files. Later calls do nothing. With
   * `CIPOLICE_E2E_SERVE_LOGS=1` in the environment, the server's output is printed first.
   */
  stop(): Promise<void>;
  /** Sends a signal to the child (SIGHUP reloads the bundles). */
  kill(signal: NodeJS.Signals): void;
  /** Everything the child wrote to stdout and stderr so far. */
  logs(): string;
  /** Sends one request with node:http on a fresh connection; bodies that are not strings or Buffers go as JSON. */
  request(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<ServeResponse>;
}

const READY_TIMEOUT_MS = 20_000;
const STOP_GRACE_MS = 5000;
const START_ATTEMPTS = 3;
const MAX_LOG_CHARS = 4 * 1024 * 1024;

// Safety net: a test file that crashes or forgets stop() must not leave servers running
const liveChildren = new Set<ChildProcess>();
const liveDirs = new Set<string>();
cleanUpOnExit(() => {
  for (const child of liveChildren) child.kill("SIGKILL");
  for (const dir of liveDirs) rmSync(dir, { recursive: true, force: true });
});

/**
 * Starts `node --import tsx src/cli/entry.ts serve --config FILE --data-dir DIR` from the repository root on
 * 127.0.0.1 and a free port, and waits until `/readyz` answers 200. Throws with the child's output when it
 * exits or is not ready in time.
 */
export async function startServe(options: ServeOptions): Promise<RunningServe> {
  const dir = await mkdtemp(join(tmpdir(), "cipolice-serve-"));
  liveDirs.add(dir);
  const dataDir = join(dir, "data");
  const configFile = join(dir, "serve.json");
  let lastError: unknown;
  for (let attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
    const port = options.port ?? (await freePort());
    await writeFile(configFile, JSON.stringify({ ...options.config, listen: `127.0.0.1:${port}` }, null, 2));
    try {
      return await spawnServe(options, { dir, dataDir, configFile, port });
    } catch (error) {
      lastError = error;
      // Another process may take the free port first: try another one
      if (!/EADDRINUSE|address already in use/i.test(String(error))) break;
    }
  }
  await rm(dir, { recursive: true, force: true });
  liveDirs.delete(dir);
  throw lastError;
}

async function spawnServe(
  options: ServeOptions,
  where: { dir: string; dataDir: string; configFile: string; port: number },
): Promise<RunningServe> {
  const { dir, dataDir, configFile, port } = where;
  const args = [
    ...["--import", "tsx", "src/cli/entry.ts", "serve"],
    ...["--config", configFile, "--data-dir", dataDir],
    ...(options.args ?? []),
  ];
  const child = spawn(process.execPath, args, {
    cwd: REPO_ROOT,
    env: { ...process.env, NO_COLOR: "1", ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  liveChildren.add(child);
  let output = "";
  const append = (chunk: string) => {
    if (output.length < MAX_LOG_CHARS) output += chunk;
  };
  child.stdout?.setEncoding("utf8").on("data", append);
  child.stderr?.setEncoding("utf8").on("data", append);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.once("exit", (code, signal) => {
    liveChildren.delete(child);
    // Said in the output, so that a test failing on a refused connection shows why
    append(`\n[cipolice serve exited with ${code ?? signal}]\n`);
  });
  const url = `http://127.0.0.1:${port}`;
  const send = (method: string, path: string, body?: unknown, headers?: Record<string, string>) =>
    sendRequest(url, method, path, body, headers);
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), STOP_GRACE_MS);
        await exited;
        clearTimeout(timer);
      }
      // For debugging a failure: CIPOLICE_E2E_SERVE_LOGS=1 prints each server's output once it has ended
      if (process.env.CIPOLICE_E2E_SERVE_LOGS) process.stderr.write(`# cipolice serve ${url}:\n${output}`);
      await rm(dir, { recursive: true, force: true });
      liveDirs.delete(dir);
    })();
    return stopped;
  };
  const deadline = Date.now() + (options.readyTimeoutMs ?? READY_TIMEOUT_MS);
  let last = "no answer yet";
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      last = `exited with ${child.exitCode ?? child.signalCode}`;
      break;
    }
    try {
      const answer = await send("GET", "/readyz");
      if (answer.status === 200) {
        return {
          url,
          port,
          pid: child.pid ?? 0,
          dataDir,
          configFile,
          stop,
          kill: (signal) => child.kill(signal),
          logs: () => output,
          request: send,
        };
      }
      last = `/readyz answered ${answer.status}: ${answer.text}`;
    } catch (error) {
      last = String(error);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  await exited;
  throw new Error(`Cannot start cipolice serve on port ${port}: ${last}\n${output.slice(-8000)}`);
}

function sendRequest(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<ServeResponse> {
  const payload =
    body === undefined
      ? undefined
      : typeof body === "string" || Buffer.isBuffer(body)
        ? Buffer.from(body)
        : Buffer.from(JSON.stringify(body));
  return send(`${base}${path}`, {
    method,
    // A fresh connection per request: nothing is shared between a test's requests
    agent: false,
    headers: { ...(payload ? { "content-type": "application/json" } : {}), ...headers },
    ...(payload ? { body: payload } : {}),
    // A test must fail, not hang, when the server never answers
    timeoutMs: 30_000,
  });
}

/** The JSON log lines of a server whose `msg` contains `text`. */
export function logLines(serve: Pick<RunningServe, "logs">, text: string): Record<string, unknown>[] {
  return serve
    .logs()
    .split("\n")
    .filter((line) => line.startsWith("{") && line.includes(text))
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
}

/**
 * Waits (at most `withinMs`, default 3 s) for log lines that contain `text` and that `match`, since
 * the server writes its log asynchronously, after the answer. Returns them (empty when none came).
 */
export async function waitForLog(
  serve: Pick<RunningServe, "logs">,
  text: string,
  match: (line: Record<string, unknown>) => boolean = () => true,
  withinMs = 3000,
): Promise<Record<string, unknown>[]> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const lines = logLines(serve, text).filter(match);
    if (lines.length > 0 || Date.now() > deadline) return lines;
    await new Promise((r) => setTimeout(r, 25));
  }
}
