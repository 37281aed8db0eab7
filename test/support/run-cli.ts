import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { REPO_ROOT } from "./corpus.js";

/** What a spawned CLI run produced. */
export interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the cipolice CLI in a child process, from outside (exit code, stdout, stderr), as a user or CI would. */
export function runCli(
  args: string[],
  options: { input?: string; env?: Record<string, string> } = {},
): CliRun {
  const result = spawnSync(
    process.execPath,
    ["--import", "tsx", join(REPO_ROOT, "src/cli/entry.ts"), ...args],
    {
      cwd: REPO_ROOT,
      encoding: "utf8",
      input: options.input,
      env: { ...process.env, NO_COLOR: "1", ...options.env },
      timeout: 60_000,
    },
  );
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}
