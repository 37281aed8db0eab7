/** Settings of a WorkQueue. */
export interface WorkQueueOptions {
  /** Tasks run at once at most. */
  concurrency: number;
  /** Tasks waiting for a slot at most; an offer beyond is refused (the caller answers "busy, retry"). */
  maxQueued: number;
  /** Called with what a task threw (tasks are expected to record their own failures). */
  onError(error: unknown): void;
}

/**
 * A bounded in-process queue of tasks with a fixed number of workers: what an HTTP receiver uses to answer
 * a sender at once while the rules run behind it, without letting a burst grow memory without bound.
 */
export class WorkQueue {
  readonly #waiting: (() => Promise<void>)[] = [];
  #running = 0;
  #idle: (() => void)[] = [];

  constructor(private readonly options: WorkQueueOptions) {}

  /** Tasks waiting and running now. */
  get size(): { waiting: number; running: number } {
    return { waiting: this.#waiting.length, running: this.#running };
  }

  /** Queues tasks all or none: false (nothing queued) when they do not all fit. */
  offer(tasks: readonly (() => Promise<void>)[]): boolean {
    const freeWorkers = Math.max(0, this.options.concurrency - this.#running);
    if (this.#waiting.length + tasks.length > this.options.maxQueued + freeWorkers) return false;
    this.#waiting.push(...tasks);
    this.#pump();
    return true;
  }

  /** Resolves once nothing waits or runs (at shutdown, after the senders stopped). */
  drained(): Promise<void> {
    if (this.#running === 0 && this.#waiting.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  #pump(): void {
    while (this.#running < this.options.concurrency) {
      const task = this.#waiting.shift();
      if (task === undefined) break;
      this.#running++;
      task()
        .catch((error: unknown) => this.options.onError(error))
        .finally(() => {
          this.#running--;
          this.#pump();
          if (this.#running === 0 && this.#waiting.length === 0) {
            const idle = this.#idle;
            this.#idle = [];
            for (const resolve of idle) resolve();
          }
        });
    }
  }
}
