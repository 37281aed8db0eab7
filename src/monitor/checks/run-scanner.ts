import { runChild } from "../../io/child-process.js";

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

/** Terminal colour codes: a scanner may print them even into a pipe. */
const ANSI = new RegExp(`${String.fromCharCode(0x1b)}\\[[0-9;?]*[A-Za-z]`, "g");

/**
 * Runs a scanner program directly (never through a shell: a token or path is one argument, whatever it
 * holds) in its own process group, reading standard output and error as lines: lines `watch` accepts are
 * kept (bounded), plus a short tail of the output. Past the timeout, or when the signal aborts, the group
 * gets SIGTERM and then SIGKILL. Resolves, never rejects.
 */
export async function runScanner(spec: ScannerSpec): Promise<ScannerEnd> {
  const matched: string[] = [];
  let tail = "";
  let partial = "";
  const take = (line: string) => {
    const clean = line.replace(ANSI, "").slice(0, MAX_LINE);
    if (matched.length < MAX_MATCHED && spec.watch(clean)) matched.push(clean);
  };
  const end = await runChild({
    file: spec.file,
    args: spec.args,
    timeoutMs: spec.timeoutMs,
    ...(spec.signal !== undefined ? { signal: spec.signal } : {}),
    onOutput: (chunk) => {
      const text = chunk.toString("utf8");
      tail = (tail + text).slice(-TAIL_CHARS);
      const lines = (partial + text).split(/\r?\n|\r/);
      partial = lines.pop() ?? "";
      // A line without end is cut: watching it as it grows would cost quadratic time
      if (partial.length > MAX_LINE) partial = partial.slice(0, MAX_LINE);
      for (const line of lines) take(line);
    },
  });
  if (partial !== "") take(partial);
  return { ...end, matched, tail: tail.replace(ANSI, "") };
}
