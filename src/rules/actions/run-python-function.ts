import { resolve } from "node:path";
import type { RuleAction } from "../rule-types.js";
import { messageImage, type StepContext, type StepResult } from "./action-step.js";
import { actionEnvironment } from "./process-env.js";
import { PYTHON_BOOTSTRAP } from "./python-bootstrap.js";
import { fillArgs, processResult } from "./run-executable.js";
import { runProcess } from "./run-process.js";

/** The Python interpreter run for module function actions. */
export const DEFAULT_PYTHON = "python3";

/**
 * Runs a Python module function (`containeractions.py:mark`) as CIPolicE called it: with the image as its
 * one argument when the action line has no arguments, or with the written arguments (placeholders filled)
 * instead when it has some (`containeractions.py:echo Great, …` calls `echo("Great,", …)`). It runs in a
 * child `python3 -c <our bootstrap>` in the rules file's folder and its own process group; the module path,
 * function and arguments go in as JSON on stdin. Ok when the function returns without raising (whatever it
 * returns, which the output shows); a raise is failed with the traceback's last line as the error.
 */
export async function runPythonFunction(
  action: RuleAction,
  context: StepContext,
  python: string = DEFAULT_PYTHON,
): Promise<StepResult> {
  const path = resolve(context.baseDir, action.target);
  const what = `${action.target}:${action.func ?? ""}`;
  if (action.func === undefined || action.func === "") {
    return { status: "failed", error: `Cannot run ${what}: the action names no function (${path})` };
  }
  const image = messageImage(context);
  const args = action.args.length === 0 ? (image === "" ? [] : [image]) : fillArgs(action, context);
  const environment = actionEnvironment(context.message, image, context.env, false);
  const end = await runProcess({
    file: python,
    args: ["-B", "-u", "-c", PYTHON_BOOTSTRAP],
    cwd: context.baseDir,
    env: environment.env,
    stdin: JSON.stringify({ path, func: action.func, args }),
    timeoutMs: context.timeoutMs,
    resultChannel: true,
  });
  const base = processResult(what, python, end, context.timeoutMs);
  if (base.status === "timed_out" || end.spawnError !== undefined) return base;
  const report = parseReport(end.result);
  if (report === undefined) {
    return { ...base, status: "failed", error: base.error ?? `${what} ended without reporting a result` };
  }
  if (report.ok) {
    const returned = `[returned ${report.value ?? "None"}]`;
    const printed =
      base.output === undefined ? "" : base.output.endsWith("\n") ? base.output : `${base.output}\n`;
    return { status: "ok", output: `${printed}${returned}` };
  }
  const traceback = report.traceback === undefined ? "" : `\n${report.traceback}`;
  return { status: "failed", output: `${base.output ?? ""}${traceback}`.trim(), error: report.error };
}

interface PythonReport {
  ok: boolean;
  value?: string;
  error?: string;
  traceback?: string;
}

function parseReport(text: string | undefined): PythonReport | undefined {
  if (text === undefined || text === "") return undefined;
  try {
    const value = JSON.parse(text) as unknown;
    if (value !== null && typeof value === "object" && typeof (value as PythonReport).ok === "boolean") {
      return value as PythonReport;
    }
  } catch {
    // A truncated or foreign report counts as none
  }
  return undefined;
}
