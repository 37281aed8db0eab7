import { spawn } from "node:child_process";
import type { Readable } from "node:stream";

/** One program to run: never through a shell, each argument one value whatever it holds. */
export interface ChildSpec {
  file: string;
  args: readonly string[];
  cwd?: string;
  /** The whole environment of the child; the parent's when absent. */
  env?: Record<string, string>;
  /** Written to standard input, which is then closed; no standard input when absent. */
  stdin?: string;
  timeoutMs: number;
  /** Aborting stops the child as the timeout does. */
  signal?: AbortSignal;
  /** Each chunk of standard output and error, as they interleave. */
  onOutput: (chunk: Buffer) => void;
  /** When given, a fourth descriptor (fd 3) is opened and what the child writes there comes here. */
  onResult?: (chunk: Buffer) => void;
}

/** How a child ended. */
export interface ChildEnd {
  /** Set when the program could not start (ENOENT: not found, EACCES: not executable, arguments too long). */
  spawnError?: NodeJS.ErrnoException;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  aborted: boolean;
}

/** After exit, how long to wait for pipes a background grandchild may still hold. */
const PIPE_GRACE_MS = 200;
/** After SIGTERM to the group, how long before SIGKILL. */
const KILL_GRACE_MS = 1000;

/**
 * Runs a program in its own process group (so stopping it ends its children too), handing its output to the
 * caller as it comes and draining it all. Past the timeout, or when the signal aborts, the group gets SIGTERM,
 * then SIGKILL a second later. Resolves, never rejects.
 */
export function runChild(spec: ChildSpec): Promise<ChildEnd> {
  return new Promise((resolve) => {
    const base: ChildEnd = { exitCode: null, signal: null, timedOut: false, aborted: false };
    const stdin = spec.stdin === undefined ? "ignore" : "pipe";
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(spec.file, [...spec.args], {
        ...(spec.cwd !== undefined ? { cwd: spec.cwd } : {}),
        ...(spec.env !== undefined ? { env: spec.env } : {}),
        shell: false,
        detached: true,
        stdio: spec.onResult ? [stdin, "pipe", "pipe", "pipe"] : [stdin, "pipe", "pipe"],
        windowsHide: true,
      });
    } catch (error) {
      // Synchronous failures: a NUL byte in an argument, an over-long argument list on some systems
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
      for (const stream of child.stdio) stream?.destroy();
      resolve({
        spawnError,
        exitCode: exited?.code ?? null,
        signal: exited?.signal ?? null,
        timedOut,
        aborted,
      });
    };
    const timer = setTimeout(() => {
      timedOut = true;
      stop();
    }, spec.timeoutMs);
    if (spec.signal?.aborted) onAbort();
    else spec.signal?.addEventListener("abort", onAbort, { once: true });
    const drain = (stream: Readable | null | undefined, into: (chunk: Buffer) => void) => {
      stream?.on("data", into);
      stream?.on("error", () => {});
    };
    drain(child.stdout, spec.onOutput);
    drain(child.stderr, spec.onOutput);
    if (spec.onResult) drain(child.stdio[3] as Readable | null, spec.onResult);
    if (spec.stdin !== undefined) {
      child.stdin?.on("error", () => {
        // The program may exit or close stdin without reading it: that is its choice, not a failure
      });
      child.stdin?.end(spec.stdin);
    }
    child.on("error", (error) => {
      spawnError = error as NodeJS.ErrnoException;
      finish();
    });
    child.on("exit", (code, signal) => {
      exited = { code, signal };
      // A stopped group may still hold the pipes: make sure its members die before we stop waiting
      if (timedOut || aborted) killGroup("SIGKILL");
      pipeTimer = setTimeout(finish, PIPE_GRACE_MS);
    });
    child.on("close", finish);
  });
}
