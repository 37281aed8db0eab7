import { spawn } from "node:child_process";

/** How a scanner process ended, with what it printed reduced to what a verdict needs. */
export interface ScannerEnd {
  /** Set when the program could not start (ENOENT: not found, EACCES: not executable). */
  spawnError?: NodeJS.ErrnoException;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  aborted: boolean;
  /** Every line of standard output and error that `watch` accepted, in order, up to a bound. */
  matched: string[];
  /** The last characters printed, for messages. */
  tail: string;
}

/** What to run and for how long. */
export interface ScannerSpec {
  file: string;
  args: string[];
  timeoutMs: number;
  signal?: AbortSignal;
  /** Lines worth keeping (verdict lines); tested on each line as it arrives, so long output costs nothing. */
  watch: (line: string) => boolean;
}

/** Longer lines are cut before `watch` sees them: a verdict line is short. */
const MAX_LINE = 4096;
const MAX_MATCHED = 64;
const TAIL_CHARS = 2048;
const KILL_GRACE_MS = 1000;
/** After exit, how long to wait for pipes a background child may still hold. */
const PIPE_GRACE_MS = 200;

/** Terminal colour codes: a scanner may print them even into a pipe. */
const ANSI = new RegExp(`${String.fromCharCode(0x1b)}\\[[0-9;?]*[A-Za-z]`, "g");

/**
 * Runs a scanner program directly (never through a shell: a token or path is one argument, whatever it
 * holds) in its own process group, reading standard output and error as lines: lines `watch` accepts are
 * kept (bounded), plus a short tail of the output. Past the timeout, or when the signal aborts, the group
 * gets SIGTERM and then SIGKILL. Resolves, never rejects.
 */
export function runScanner(spec: ScannerSpec): Promise<ScannerEnd> {
  return new Promise((resolve) => {
    const matched: string[] = [];
    let tail = "";
    let partial = "";
    const take = (line: string) => {
      const clean = line.replace(ANSI, "").slice(0, MAX_LINE);
      if (matched.length < MAX_MATCHED && spec.watch(clean)) matched.push(clean);
    };
    const onData = (chunk: Buffer) => {
      const text = chunk.toString("utf8");
      tail = (tail + text).slice(-TAIL_CHARS);
      const lines = (partial + text).split(/\r?\n|\r/);
      partial = lines.pop() ?? "";
      // A line without end is cut: watching it as it grows would cost quadratic time
      if (partial.length > MAX_LINE) partial = partial.slice(0, MAX_LINE);
      for (const line of lines) take(line);
    };
    let child: ReturnType<typeof spawn>;
    const base = { exitCode: null, signal: null, timedOut: false, aborted: false, matched, tail: "" };
    try {
      child = spawn(spec.file, spec.args, {
        shell: false,
        detached: true,
        stdio: ["ignore", "pipe", "pipe"],
        windowsHide: true,
      });
    } catch (error) {
      resolve({ ...base, spawnError: error as NodeJS.ErrnoException });
      return;
    }
    let settled = false;
    let timedOut = false;
    let aborted = false;
    let spawnError: NodeJS.ErrnoException | undefined;
    let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    let killTimer: NodeJS.Timeout | undefined;
    let pipeTimer: NodeJS.Timeout | undefined;
    const killGroup = (signal: NodeJS.Signals) => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, signal);
      } catch {
        // The group is gone already
      }
    };
    const stop = () => {
      killGroup("SIGTERM");
      killTimer = setTimeout(() => killGroup("SIGKILL"), KILL_GRACE_MS);
    };
    const onAbort = () => {
      aborted = true;
      stop();
    };
    const finish = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(killTimer);
      clearTimeout(pipeTimer);
      spec.signal?.removeEventListener("abort", onAbort);
      if (partial !== "") take(partial);
      child.stdout?.destroy();
      child.stderr?.destroy();
      resolve({
        spawnError,
        exitCode: exited?.code ?? null,
        signal: exited?.signal ?? null,
        timedOut,
        aborted,
        matched,
        tail: tail.replace(ANSI, ""),
      });
    };
    const timer = setTimeout(() => {
      timedOut = true;
      stop();
    }, spec.timeoutMs);
    if (spec.signal?.aborted) onAbort();
    else spec.signal?.addEventListener("abort", onAbort, { once: true });
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.stdout?.on("error", () => {});
    child.stderr?.on("error", () => {});
    child.on("error", (error) => {
      spawnError = error as NodeJS.ErrnoException;
      finish();
    });
    child.on("exit", (code, signal) => {
      exited = { code, signal };
      // A stopped group may still hold the pipes: make sure it is gone before we stop waiting
      if (timedOut || aborted) killGroup("SIGKILL");
      pipeTimer = setTimeout(finish, PIPE_GRACE_MS);
    });
    child.on("close", finish);
  });
}
