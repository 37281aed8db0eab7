import type { HttpClient } from "../image/registry/http-request.js";
import { errorText, type StepContext, type StepResult } from "./actions/action-step.js";
import { BoundedOutput, MAX_ACTION_OUTPUT_BYTES } from "./actions/bounded-output.js";
import { type BuiltinActions, runBuiltin } from "./actions/run-builtin.js";
import { runExecutable } from "./actions/run-executable.js";
import { runJsFunction } from "./actions/run-js-function.js";
import { runPythonFunction } from "./actions/run-python-function.js";
import { DEFAULT_WEBHOOK, runWebhook } from "./actions/run-webhook.js";
import type { ActionKind, ActionOutcome, RuleAction, RuleMessage } from "./rule-types.js";

export type { BuiltinActions } from "./actions/run-builtin.js";

/** An action's budget when nothing else is configured. */
export const DEFAULT_ACTION_TIMEOUT_MS = 30_000;

/** How {@link runActions} runs actions. */
export interface RunActionsOptions {
  /** The rules file's folder: relative targets resolve against it and processes start in it. */
  baseDir: string;
  /** Each action's budget; default 30 s. */
  timeoutMs?: number;
  /** A budget per action kind, over `timeoutMs` (`{ webhook: 60_000 }`). */
  kindTimeoutMs?: Partial<Record<ActionKind, number>>;
  /** Web hook bodies are signed with HMAC-SHA256 under this secret when set. */
  webhookSecret?: string;
  /** Web hook retries; default 3 retries, 500 ms first backoff, 10 s per try. */
  webhook?: { retries: number; backoffMs: number; tryTimeoutMs?: number };
  /** Variables added to the environment of executables and Python functions (which inherit only PATH, locale, home). */
  env?: Record<string, string>;
  /** The Python interpreter for module functions; default `python3`. */
  python?: string;
  /** The HTTP client for web hooks; default one shared by the process. */
  httpClient?: HttpClient;
  /** Called with each outcome as soon as it is known (to record it); a throw ends the run with that error. */
  onOutcome?(outcome: ActionOutcome): void | Promise<void>;
  /** Called with notices: a placeholder naming an absent field, a variable too long for the environment. */
  onNotice?(notice: string, action: RuleAction): void;
  /** What `accept`, `reject` and `log` do. */
  builtins: BuiltinActions;
}

/**
 * Runs a message's planned actions in order, each within its budget, and returns one outcome per action
 * (ok, failed, timed_out, with output bounded to 64 KiB). A failing or timed-out action does not stop the
 * next ones, as in CIPolicE, where a failed action only printed ACTION FAIL. No action ever runs through a
 * shell; message text reaches actions as data only (stdin, environment, one argv entry per argument, a
 * function's arguments). `break` is the planner's to apply; should one arrive here it ends the run and the
 * actions after it are recorded skipped.
 */
export async function runActions(
  actions: RuleAction[],
  message: RuleMessage,
  options: RunActionsOptions,
): Promise<ActionOutcome[]> {
  const outcomes: ActionOutcome[] = [];
  let stopped = false;
  for (const action of actions) {
    const started = Date.now();
    const result: StepResult = stopped
      ? { status: "ok", error: "skipped: after break" }
      : await runOne(action, message, options);
    if (action.kind === "break") stopped = true;
    const outcome: ActionOutcome = {
      action,
      status: stopped && action.kind !== "break" ? "skipped" : result.status,
      startedAt: new Date(started).toISOString(),
      durationMs: Date.now() - started,
    };
    if (result.output !== undefined && result.output !== "") outcome.output = bound(result.output);
    if (result.error !== undefined) outcome.error = bound(result.error);
    outcomes.push(outcome);
    await options.onOutcome?.(outcome);
  }
  return outcomes;
}

/** The budget of one action under the options. */
export function actionTimeout(
  kind: ActionKind,
  options: Pick<RunActionsOptions, "timeoutMs" | "kindTimeoutMs">,
): number {
  return options.kindTimeoutMs?.[kind] ?? options.timeoutMs ?? DEFAULT_ACTION_TIMEOUT_MS;
}

async function runOne(
  action: RuleAction,
  message: RuleMessage,
  options: RunActionsOptions,
): Promise<StepResult> {
  const context: StepContext = {
    message,
    baseDir: options.baseDir,
    timeoutMs: actionTimeout(action.kind, options),
    env: options.env ?? {},
    notice: (text) => options.onNotice?.(`${action.text}: ${text}`, action),
  };
  try {
    switch (action.kind) {
      case "executable":
        return await runExecutable(action, context);
      case "python-function":
        return await runPythonFunction(action, context, options.python);
      case "js-function":
        return await runJsFunction(action, context);
      case "webhook":
        return await runWebhook(action, context, {
          ...DEFAULT_WEBHOOK,
          ...options.webhook,
          secret: options.webhookSecret,
          client: options.httpClient,
        });
      case "builtin":
        return await withinBudget(runBuiltin(action, context, options.builtins), context.timeoutMs, action);
      case "break":
        return { status: "ok", output: "break: the actions after it do not run" };
      case "unknown":
        return {
          status: "failed",
          error: `unknown action ${action.target} (loaded with --allow-unknown-actions)`,
        };
    }
  } catch (error) {
    // A runner or a caller's built-in that throws is that action's failure, not the run's
    return { status: "failed", error: `${action.text}: ${errorText(error)}` };
  }
}

/** Races work that cannot be stopped (a caller's built-in) against the budget. */
function withinBudget(work: Promise<StepResult>, timeoutMs: number, action: RuleAction): Promise<StepResult> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<StepResult>((resolve) => {
    timer = setTimeout(
      () => resolve({ status: "timed_out", error: `${action.target} did not finish within ${timeoutMs} ms` }),
      timeoutMs,
    );
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

function bound(text: string): string {
  if (Buffer.byteLength(text) <= MAX_ACTION_OUTPUT_BYTES) return text;
  const output = new BoundedOutput();
  output.add(text);
  return output.text();
}
