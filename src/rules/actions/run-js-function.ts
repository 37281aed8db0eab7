import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { ModuleWorkerPool } from "../../io/module-workers.js";
import type { RuleAction } from "../rule-types.js";
import type { StepContext, StepResult } from "./action-step.js";
import { JS_WORKER_SOURCE } from "./js-worker-source.js";
import { fillArgs } from "./run-executable.js";

// One worker per action module; a function that runs away fails alone instead of exhausting the server
const workers = new ModuleWorkerPool(JS_WORKER_SOURCE);

/**
 * Runs a JavaScript module function action (`actions.js:notify arg {image}`): the module, resolved against
 * the rules file's folder, is imported in a worker thread and `func(message, ...args)` is called with the
 * message as data and the written arguments with placeholders filled. Ok when it returns or its promise
 * resolves; failed when it throws or rejects; timed_out when it has not settled within the budget, and then
 * the worker is terminated, so a function that loops forever or never resolves costs nothing afterwards.
 */
export async function runJsFunction(action: RuleAction, context: StepContext): Promise<StepResult> {
  const path = resolve(context.baseDir, action.target);
  const what = `${action.target}:${action.func ?? ""}`;
  if (action.func === undefined || action.func === "") {
    return { status: "failed", error: `Cannot run ${what}: the action names no function (${path})` };
  }
  const args = fillArgs(action, context);
  const reply = await workers
    .workerFor(path)
    .call(
      { url: pathToFileURL(path).href, func: action.func, message: context.message, args },
      context.timeoutMs,
      action.func,
    );
  if (reply === undefined) {
    return {
      status: "timed_out",
      error: `${what} did not settle within ${context.timeoutMs} ms; its worker was terminated`,
    };
  }
  const printed = reply.output === undefined || reply.output === "" ? "" : reply.output;
  if (reply.ok) {
    return { status: "ok", output: `${printed}[returned ${reply.value ?? "undefined"}]` };
  }
  return { status: "failed", output: printed === "" ? undefined : printed, error: reply.error };
}

/** Terminates the workers of JavaScript actions (at shutdown; they never hold the process open). */
export async function closeJsActionWorkers(): Promise<void> {
  workers.close("the action workers were closed");
}
