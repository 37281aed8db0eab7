import { runChild } from "../../io/child-process.js";
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

/**
 * Runs a process in its own process group (so a timeout ends its children too) with the spec's stdin,
 * capturing its output bounded while draining it all. Past the timeout the group gets SIGTERM, then
 * SIGKILL a second later. Resolves, never rejects.
 */
export async function runProcess(spec: ProcessSpec): Promise<ProcessEnd> {
  const output = new BoundedOutput();
  const result = new BoundedOutput();
  const end = await runChild({
    file: spec.file,
    args: spec.args,
    cwd: spec.cwd,
    env: spec.env,
    stdin: spec.stdin,
    timeoutMs: spec.timeoutMs,
    onOutput: (chunk) => output.add(chunk),
    ...(spec.resultChannel ? { onResult: (chunk: Buffer) => result.add(chunk) } : {}),
  });
  return {
    ...(end.spawnError !== undefined ? { spawnError: end.spawnError } : {}),
    exitCode: end.exitCode,
    signal: end.signal,
    timedOut: end.timedOut,
    output: output.text(),
    result: spec.resultChannel ? result.text() : undefined,
  };
}
