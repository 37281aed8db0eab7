import {
  type ContainerResult,
  checkContainer,
  checkRunningContainers,
  type MonitorRunOptions,
} from "./monitor-run.js";

/** Settings of the long-running monitor. */
export interface MonitorLoopOptions extends MonitorRunOptions {
  /** Time between full passes over every running container. */
  intervalMs: number;
  /** Stops the loop (SIGINT, SIGTERM). */
  signal: AbortSignal;
  /** Told when a pass or the event stream fails, with the wait before the next try. */
  onRetry(message: string, waitMs: number): void;
  /** Longest wait between tries after errors. */
  maxBackoffMs?: number;
}

/** Waits `ms`, or less when the signal aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Runs until the signal aborts: a full pass over the running containers every `intervalMs`, and between
 * passes the engine's event stream, so a container that starts is checked within a second. An engine that
 * cannot be reached is tried again with a doubling wait (1 s up to `maxBackoffMs`), each failure told through
 * `onRetry`; nothing is retried silently and the loop itself never throws.
 */
export async function runMonitorLoop(options: MonitorLoopOptions): Promise<void> {
  const { signal } = options;
  const maxBackoff = options.maxBackoffMs ?? 30_000;
  const events = followStarts(options, maxBackoff);
  let backoff = 1_000;
  while (!signal.aborted) {
    try {
      await checkRunningContainers(options);
      backoff = 1_000;
      await pause(options.intervalMs, signal);
    } catch (error) {
      if (signal.aborted) break;
      options.onRetry(`cannot check the running containers: ${messageOf(error)}`, backoff);
      await pause(backoff, signal);
      backoff = Math.min(backoff * 2, maxBackoff);
    }
  }
  await events;
}

/** Follows container start events and checks each new container at once; reconnects with backoff. */
async function followStarts(options: MonitorLoopOptions, maxBackoff: number): Promise<void> {
  const { signal } = options;
  let backoff = 1_000;
  const pending = new Set<Promise<ContainerResult | undefined>>();
  while (!signal.aborted) {
    const since = options.now();
    try {
      await options.client.events({ signal, actions: ["start"], since }, (event) => {
        backoff = 1_000;
        const work = options.client
          .snapshot(event.id)
          .then((container) => (container === undefined ? undefined : checkContainer(container, options)))
          .catch((error: unknown) => {
            options.onWarning(`cannot check the new container ${event.id.slice(0, 12)}: ${messageOf(error)}`);
            return undefined;
          })
          .finally(() => pending.delete(work));
        pending.add(work);
      });
      if (signal.aborted) break;
      // The engine ended the stream (a restart): follow it again
      options.onRetry("the engine closed its event stream", backoff);
    } catch (error) {
      if (signal.aborted) break;
      options.onRetry(`cannot follow the engine's events: ${messageOf(error)}`, backoff);
    }
    await pause(backoff, signal);
    backoff = Math.min(backoff * 2, maxBackoff);
  }
  await Promise.all(pending);
}
