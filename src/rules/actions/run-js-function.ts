import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import type { RuleAction } from "../rule-types.js";
import { errorText, type StepContext, type StepResult } from "./action-step.js";
import { JS_WORKER_SOURCE } from "./js-worker-source.js";
import { fillArgs } from "./run-executable.js";

/** A worker's heap limit: a runaway action function fails alone instead of exhausting the server. */
const WORKER_HEAP_MB = 256;

interface Reply {
  id: number;
  ok: boolean;
  value?: string;
  error?: string;
  output?: string;
}

/**
 * One worker thread per module file, kept between calls so the module is imported once. A call that
 * outlives its budget terminates the worker (the only way to stop a function that never yields); calls
 * of the same module then in flight fail with that reason, and the next call starts a fresh worker.
 */
class ModuleWorker {
  private readonly worker: Worker;
  private readonly pending = new Map<number, (reply: Reply) => void>();
  private nextId = 1;
  stopped = false;

  constructor(private readonly onStop: () => void) {
    // Not the parent's execArgv (a TypeScript loader, debug flags): action modules are plain JavaScript
    this.worker = new Worker(JS_WORKER_SOURCE, {
      eval: true,
      execArgv: [],
      stdout: true,
      stderr: true,
      resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB },
    });
    this.worker.unref();
    // Direct writes to process.stdout in the worker are dropped: console output is captured per call
    this.worker.stdout.resume();
    this.worker.stderr.resume();
    this.worker.on("message", (reply: Reply) => {
      const settle = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      settle?.(reply);
    });
    this.worker.on("error", (error) => this.stop(`its worker failed: ${errorText(error)}`));
    this.worker.on("exit", (code) => this.stop(`its worker exited with code ${code}`));
  }

  /** Calls the function; resolves with its reply, or undefined when the budget ran out first. */
  call(
    url: string,
    func: string,
    message: unknown,
    args: string[],
    timeoutMs: number,
  ): Promise<Reply | undefined> {
    const id = this.nextId++;
    return new Promise((resolveCall) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolveCall(undefined);
        this.stop(`another call of this module (${func}) timed out and its worker was stopped`);
      }, timeoutMs);
      this.pending.set(id, (reply) => {
        clearTimeout(timer);
        resolveCall(reply);
      });
      try {
        this.worker.postMessage({ id, url, func, message, args });
      } catch (error) {
        // A message that cannot be cloned (never for JSON data, but say so rather than hang)
        this.pending.delete(id);
        clearTimeout(timer);
        resolveCall({
          id,
          ok: false,
          error: `the message cannot be passed to the worker: ${errorText(error)}`,
        });
      }
    });
  }

  /** Ends the worker and fails what is in flight with the reason. */
  stop(reason: string): void {
    if (this.stopped) return;
    this.stopped = true;
    this.onStop();
    for (const [id, settle] of this.pending)
      settle({ id, ok: false, error: `the call was stopped: ${reason}` });
    this.pending.clear();
    void this.worker.terminate();
  }
}

const workers = new Map<string, ModuleWorker>();

function workerFor(path: string): ModuleWorker {
  let worker = workers.get(path);
  if (worker === undefined || worker.stopped) {
    const created = new ModuleWorker(() => {
      if (workers.get(path) === created) workers.delete(path);
    });
    workers.set(path, created);
    worker = created;
  }
  return worker;
}

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
  const reply = await workerFor(path).call(
    pathToFileURL(path).href,
    action.func,
    context.message,
    args,
    context.timeoutMs,
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
  const all = [...workers.values()];
  workers.clear();
  for (const worker of all) worker.stop("the action workers were closed");
}
