import { join } from "node:path";
import { type ConsumeEventsOptions, consumeEvents } from "../src/queue/amqp-consumer.js";
import { openPublisher } from "../src/queue/amqp-publisher.js";
import { openSqliteStore } from "../src/store/sqlite-store.js";

/** One throughput run: publish `messages` with confirms, then consume them all through `handle`. */
export interface AmqpRun {
  /** Printed first on the result line, and part of the queue name. */
  name: string;
  /** The message sent (its index `n` is added); CIPolicE's `{image, level}` shape by default. */
  message?: (n: number) => Record<string, unknown>;
  /** The rules' stand-in: trivial by default. Case (b) passes one that evaluates the default bundle. */
  handle?: ConsumeEventsOptions["handle"];
  messages: number;
  /** Messages in flight per publish batch (each batch waits for all its confirms). */
  batch: number;
  prefetch: number;
}

/** What a run measured. */
export interface AmqpResult {
  publishPerSecond: number;
  consumePerSecond: number;
  handled: number;
  duplicates: number;
  deadLettered: number;
}

/**
 * Publishes then consumes through a real broker at `url`, with the SQLite event ledger in `dir` (a file, WAL,
 * as `cipolice consume` keeps it): publishing and consuming are timed apart, so each rate is its own.
 */
export async function measureAmqp(url: string, dir: string, run: AmqpRun): Promise<AmqpResult> {
  const queue = `bench-${run.name.replace(/[^a-z0-9]+/gi, "-")}`;
  const store = await openSqliteStore(join(dir, `${queue}.db`));
  const publisher = await openPublisher({ url, queue });
  const message = run.message ?? ((n: number) => ({ image: `registry.example/app:${n}`, level: n % 10 }));
  try {
    const published = performance.now();
    for (let i = 0; i < run.messages; i += run.batch) {
      const size = Math.min(run.batch, run.messages - i);
      await Promise.all(
        Array.from({ length: size }, (_, k) => publisher.publish({ ...message(i + k), n: i + k })),
      );
    }
    const publishSeconds = (performance.now() - published) / 1000;

    let done: () => void = () => {};
    const finished = new Promise<void>((resolve) => {
      done = resolve;
    });
    const handle = run.handle ?? (async () => ({ outcomes: [] }));
    const consumed = performance.now();
    const consumer = await consumeEvents({
      url,
      queue,
      ledger: store,
      prefetch: run.prefetch,
      handle,
      onLog: (level, text) => {
        if (level === "error") console.error(`consumer: ${text}`);
      },
    });
    // Counted by the ledger's view of the consumer: handled or dead-lettered, whatever the handler did
    const timer = setInterval(() => {
      if (consumer.stats.handled + consumer.stats.deadLettered >= run.messages) done();
    }, 5);
    await finished;
    const consumeSeconds = (performance.now() - consumed) / 1000;
    clearInterval(timer);
    await consumer.close();
    return {
      publishPerSecond: run.messages / publishSeconds,
      consumePerSecond: run.messages / consumeSeconds,
      handled: consumer.stats.handled,
      duplicates: consumer.stats.duplicates,
      deadLettered: consumer.stats.deadLettered,
    };
  } finally {
    await publisher.close();
    await store.close();
  }
}
