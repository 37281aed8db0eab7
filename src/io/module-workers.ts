import { Worker } from "node:worker_threads";

/** What a module worker answers to one call: the call's id, whether it succeeded, and what it gave. */
export interface WorkerReply {
  id: number;
  ok: boolean;
  value?: unknown;
  error?: string;
  /** Console output the call printed, where the worker captures it. */
  output?: string;
}

/**
 * One worker thread running user JavaScript modules (the worker's own source decides what a call does), kept
 * between calls so a module is imported once. A call past its deadline terminates the worker (the only way to
 * stop a function that never yields); calls then in flight fail with that reason.
 */
export class ModuleWorker {
  private readonly worker: Worker;
  private readonly pending = new Map<number, (reply: WorkerReply) => void>();
  private nextId = 1;
  stopped = false;

  constructor(
    source: string,
    heapMb: number,
    private readonly onStop: () => void,
  ) {
    // Not the parent's execArgv (a TypeScript loader, debug flags): user modules are plain JavaScript
    this.worker = new Worker(source, {
      eval: true,
      execArgv: [],
      stdout: true,
      stderr: true,
      resourceLimits: { maxOldGenerationSizeMb: heapMb },
    });
    this.worker.unref();
    // Direct writes to process.stdout in the worker are dropped: a worker source captures what it needs
    this.worker.stdout.resume();
    this.worker.stderr.resume();
    this.worker.on("message", (reply: WorkerReply) => {
      const settle = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      settle?.(reply);
    });
    this.worker.on("error", (error: Error) => this.stop(`its worker failed: ${error.message}`));
    this.worker.on("exit", (code) => this.stop(`its worker exited with code ${code}`));
  }

  /** Posts `request` with a call id; resolves with the reply, or undefined when the deadline came first. */
  call(request: Record<string, unknown>, timeoutMs: number, what: string): Promise<WorkerReply | undefined> {
    const id = this.nextId++;
    return new Promise((settleCall) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        settleCall(undefined);
        this.stop(`another call of this module (${what}) timed out and its worker was stopped`);
      }, timeoutMs);
      this.pending.set(id, (reply) => {
        clearTimeout(timer);
        settleCall(reply);
      });
      try {
        this.worker.postMessage({ ...request, id });
      } catch (error) {
        // A request that cannot be cloned (never for JSON data, but say so rather than hang)
        this.pending.delete(id);
        clearTimeout(timer);
        settleCall({ id, ok: false, error: `the request cannot be passed to the worker: ${String(error)}` });
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

/** One {@link ModuleWorker} per module file, started on first use and started afresh after it stopped. */
export class ModuleWorkerPool {
  private readonly workers = new Map<string, ModuleWorker>();

  constructor(
    /** The worker's JavaScript source (evaluated, not a file). */
    private readonly source: string,
    /** The worker's heap limit: a runaway module fails alone instead of exhausting the process. */
    private readonly heapMb = 256,
  ) {}

  /** The live worker of a module file. */
  workerFor(path: string): ModuleWorker {
    let worker = this.workers.get(path);
    if (worker === undefined || worker.stopped) {
      const created = new ModuleWorker(this.source, this.heapMb, () => {
        if (this.workers.get(path) === created) this.workers.delete(path);
      });
      this.workers.set(path, created);
      worker = created;
    }
    return worker;
  }

  /** Terminates every worker (at shutdown; they never hold the process open). */
  close(reason: string): void {
    const all = [...this.workers.values()];
    this.workers.clear();
    for (const worker of all) worker.stop(reason);
  }
}
