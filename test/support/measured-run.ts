import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO_ROOT } from "./corpus.js";

/** A CLI run with what it cost: wall time, and the child's peak resident memory. */
export interface MeasuredRun {
  status: number | null;
  stdout: string;
  stderr: string;
  ms: number;
  /** Peak resident set size of the cipolice process, in bytes. */
  peakBytes: number;
}

const TIME = "/usr/bin/time";

function quote(arg: string): string {
  return `'${arg.replaceAll("'", "'\\''")}'`;
}

/**
 * Runs the cipolice CLI in a child process and measures it: peak memory by `/usr/bin/time -f %M` when
 * installed, else by the child itself (process.resourceUsage().maxRSS at exit, through a preload).
 * `stdinFrom` is a shell command whose output becomes the CLI's standard input through a real pipe
 * (`head -c 200000000 /dev/zero`); the CLI's exit status is the run's.
 */
export function runCliMeasured(
  args: string[],
  options: { stdinFrom?: string; timeoutMs?: number } = {},
): MeasuredRun {
  const dir = mkdtempSync(join(tmpdir(), "cip-measure-"));
  const rssFile = join(dir, "rss");
  try {
    const cli = [process.execPath, "--import", "tsx"];
    const useTime = existsSync(TIME);
    if (useTime) cli.unshift(TIME, "-f", "%M", "-o", rssFile);
    else cli.push("--import", join(REPO_ROOT, "test/support/report-max-rss.ts"));
    cli.push(join(REPO_ROOT, "src/cli/entry.ts"), ...args);
    const command = `${options.stdinFrom !== undefined ? `${options.stdinFrom} | ` : ""}exec ${cli.map(quote).join(" ")}`;
    // A pipeline's status is its last command's: the CLI's; stdin is closed when no pipe feeds it
    const start = process.hrtime.bigint();
    const run = spawnSync(
      "sh",
      ["-c", options.stdinFrom !== undefined ? command : `${command} < /dev/null`],
      {
        cwd: REPO_ROOT,
        encoding: "utf8",
        env: { ...process.env, NO_COLOR: "1", CIP_MAX_RSS_FILE: rssFile },
        timeout: options.timeoutMs ?? 60_000,
        maxBuffer: 16 * 1024 * 1024,
      },
    );
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    const kib = existsSync(rssFile)
      ? Number.parseInt(readFileSync(rssFile, "utf8").trim().split("\n").pop() ?? "", 10)
      : Number.NaN;
    // /usr/bin/time -f %M reports KiB, as does maxRSS
    return { status: run.status, stdout: run.stdout, stderr: run.stderr, ms, peakBytes: kib * 1024 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
