import { resolve } from "node:path";
import type { RuleAction } from "../rule-types.js";
import { messageImage, type StepContext, type StepResult } from "./action-step.js";
import { fillPlaceholders } from "./placeholders.js";
import { actionEnvironment } from "./process-env.js";
import { type ProcessEnd, runProcess } from "./run-process.js";

/**
 * Runs an executable action (`./label.sh`): the file, resolved against the rules file's folder (never
 * looked up in PATH), started without a shell in that folder, with the image as its first argument and the
 * action's written arguments after it, each one argv entry with its placeholders filled. The message is on
 * stdin as JSON and in `CIPOLICE_*` variables. Exit code 0 is ok. A NUL byte in the image, an argument or
 * a field refuses the action before anything starts: no process argument or variable can carry one.
 */
export async function runExecutable(action: RuleAction, context: StepContext): Promise<StepResult> {
  const file = resolve(context.baseDir, action.target);
  const image = messageImage(context);
  const args = [image, ...fillArgs(action, context)];
  const environment = actionEnvironment(context.message, image, context.env, true);
  const nulArgs = args.some((arg) => arg.includes("\0"));
  if (nulArgs || environment.nulFields.length > 0) {
    const fields = environment.nulFields;
    const where = nulArgs
      ? "an argument holds"
      : `${fields.length === 1 ? "field" : "fields"} ${fields.join(", ")} ${fields.length === 1 ? "holds" : "hold"}`;
    return {
      status: "failed",
      error: `Cannot run ${action.target}: ${where} a NUL byte, which no process argument or variable can carry (${file})`,
    };
  }
  for (const name of environment.omitted) {
    context.notice(`${name} is over 64 KiB and left out of the environment; the message on stdin has it`);
  }
  const end = await runProcess({
    file,
    args,
    cwd: context.baseDir,
    env: environment.env,
    stdin: JSON.stringify(context.message),
    timeoutMs: context.timeoutMs,
  });
  return processResult(action.target, file, end, context.timeoutMs);
}

/** The action's written arguments with their placeholders filled, each reported when absent. */
export function fillArgs(action: RuleAction, context: StepContext): string[] {
  return action.args.map((arg) => {
    const filled = fillPlaceholders(arg, context.message);
    for (const name of filled.missing) context.notice(`{${name}} is not in the message; left as written`);
    return filled.value;
  });
}

/** A process's end as a step result: exit 0 ok, a timeout timed_out, anything else failed with why. */
export function processResult(what: string, file: string, end: ProcessEnd, timeoutMs: number): StepResult {
  const output = end.output === "" ? undefined : end.output;
  if (end.spawnError !== undefined)
    return { status: "failed", output, error: spawnMessage(what, file, end.spawnError) };
  if (end.timedOut) {
    return {
      status: "timed_out",
      output,
      error: `${what} did not finish within ${timeoutMs} ms; its process group was killed`,
    };
  }
  if (end.exitCode === 0) return { status: "ok", output };
  const how = end.signal !== null ? `was killed by ${end.signal}` : `exited with code ${end.exitCode}`;
  return { status: "failed", output, error: `${what} ${how}` };
}

function spawnMessage(what: string, file: string, error: NodeJS.ErrnoException): string {
  const reason =
    error.code === "ENOENT"
      ? "no such file, or its interpreter (#! line) is missing"
      : error.code === "EACCES"
        ? "the file is not executable (chmod +x)"
        : error.code === "E2BIG"
          ? "its arguments are too long for a process"
          : error.message;
  return `Cannot run ${what}: ${reason} (${file})`;
}
