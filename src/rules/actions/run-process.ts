import { spawn } from "node:child_process";
import type { Readable } from "node:stream";
import { BoundedOutput } from "./bounded-output.js";

/** One process to run for an action: never through a shell, argv as separate values. */
export interface ProcessSpec {
  file: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  /** Written to standard input, which is then closed. */
  stdin: string;
  timeoutMs: number;
  /** Open a fourth descriptor (fd 3) for the process to report a result apart from what it prints. */
  resultChannel?: boolean;
}

/** How a process ended. */
export interface ProcessEnd {
  /** Set when the process could not start (not found, not executable, arguments too long). */
  spawnError?: NodeJS.ErrnoException;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  /** Standard output and error as they interleaved, bounded. */
  output: string;
  /** What the process wrote to fd 3, bounded. */
  result?: string;
}

/** How long to wait for the pipes to close once the process exited (a background child may hold them). */
const PIPE_GRACE_MS = 200;
/** After SIGTERM to the group, how long before SIGKILL. */
const KILL_GRACE_MS = 1000;

/**
 * Runs a process in its own process group (so a timeout ends its children too) with the spec's stdin,
 * capturing its output bounded while draining it all. Past the timeout the group gets SIGTERM, then
 * SIGKILL a second later. Resolves, never rejects.
 */
export function runProcess(spec: ProcessSpec): Promise<ProcessEnd> {
  return new Promise((resolve) => {
    const output = new BoundedOutput();
    const result = new BoundedOutput();
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(spec.file, spec.args, {
        cwd: spec.cwd,
        env: spec.env,
        shell: false,
        detached: true,
        stdio: spec.resultChannel ? ["pipe", "pipe", "pipe", "pipe"] : ["pipe", "pipe", "pipe"],
        windowsHide: true,
      });
    } catch (error) {
      // Synchronous failures: a NUL byte in an argument, an over-long argument list on some systems
      resolve({
        spawnError: error as NodeJS.ErrnoException,
        exitCode: null,
        signal: null,
        timedOut: false,
        output: "",
      });
      return;
    }
    let timedOut = false;
    let settled = false;
    let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    let spawnError: NodeJS.ErrnoException | undefined;
    const killGroup = (signal: NodeJS.Signals) => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, signal);
      } catch {
        // The group is already gone
      }
    };
    const finish = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(killTimer);
      clearTimeout(pipeTimer);
      for (const stream of child.stdio) stream?.destroy();
      resolve({
        spawnError,
        exitCode: exited?.code ?? null,
        signal: exited?.signal ?? null,
        timedOut,
        output: output.text(),
        result: spec.resultChannel ? result.text() : undefined,
      });
    };
    let killTimer: NodeJS.Timeout | undefined;
    let pipeTimer: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup("SIGTERM");
      killTimer = setTimeout(() => killGroup("SIGKILL"), KILL_GRACE_MS);
    }, spec.timeoutMs);
    const drain = (stream: Readable | null | undefined, into: BoundedOutput) => {
      stream?.on("data", (chunk: Buffer) => into.add(chunk));
      stream?.on("error", () => {});
    };
    drain(child.stdout, output);
    drain(child.stderr, output);
    if (spec.resultChannel) drain(child.stdio[3] as Readable | null, result);
    child.stdin?.on("error", () => {
      // The process may exit or close stdin without reading it: that is its choice, not a failure
    });
    child.stdin?.end(spec.stdin);
    child.on("error", (error) => {
      spawnError = error as NodeJS.ErrnoException;
      finish();
    });
    child.on("exit", (code, signal) => {
      exited = { code, signal };
      // A timed-out group may still hold the pipes: make sure its members die before we stop waiting
      if (timedOut) killGroup("SIGKILL");
      pipeTimer = setTimeout(finish, PIPE_GRACE_MS);
    });
    child.on("close", finish);
  });
}
