import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Connection } from "rabbitmq-client";
import { consumeEvents, type EventConsumer } from "../../src/queue/amqp-consumer.js";
import { openPublisher, type Publisher } from "../../src/queue/amqp-publisher.js";
import type { Store } from "../../src/service/store-ports.js";
import { openSqliteStore, SQLITE_MEMORY } from "../../src/store/sqlite-store.js";
import { type RabbitMqHandle, rabbitMqMissing, startRabbitMq, waitFor } from "./support/rabbitmq-harness.js";

// At-least-once delivery made exactly-once by the event ledger, against a real RabbitMQ node of this file:
// a broker restart mid-stream, two consumers on one queue, a connection cut between the ledger and the ack.
const missing = rabbitMqMissing();
let broker: RabbitMqHandle | undefined;
const closers: (() => Promise<void>)[] = [];

before(async () => {
  if (missing) return;
  broker = await startRabbitMq();
  console.log(`# RabbitMQ node started in ${broker.startMs} ms`);
});

after(async () => {
  for (const close of closers.reverse()) await close().catch(() => {});
  await broker?.stop();
});

function rabbit(): RabbitMqHandle {
  assert.ok(broker, "RabbitMQ did not start");
  return broker;
}

async function ledger(): Promise<Store> {
  // The real SQLite adapter of the EventStore port, in memory
  const store = await openSqliteStore(SQLITE_MEMORY);
  closers.push(() => store.close());
  return store;
}

async function publisher(queue: string): Promise<Publisher> {
  const p = await openPublisher({ url: rabbit().url, queue });
  closers.push(() => p.close());
  return p;
}

async function consumer(options: Parameters<typeof consumeEvents>[0]): Promise<EventConsumer> {
  const c = await consumeEvents(options);
  closers.push(() => c.close());
  return c;
}

/** Messages ready in a queue, as its leader counts them now (a passive declare; list_queues lags for quorum queues). */
async function depth(queue: string): Promise<number> {
  const conn = new Connection(rabbit().url);
  try {
    return (await conn.queueDeclare({ queue, passive: true })).messageCount;
  } finally {
    await conn.close();
  }
}

function tally(): { counts: Map<string, number>; total: () => number; twice: () => string[] } {
  const counts = new Map<string, number>();
  return {
    counts,
    total: () => counts.size,
    twice: () => [...counts].filter(([, n]) => n > 1).map(([id]) => id),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("AMQP delivery against a real RabbitMQ", { skip: missing }, () => {
  it("handles 500 messages exactly once across a broker restart mid-stream, and publishes again after it", async () => {
    const queue = "events-restart";
    const store = await ledger();
    const pub = await publisher(queue);
    const N = 500;
    for (let i = 0; i < N; i += 50) {
      await Promise.all(
        Array.from({ length: 50 }, (_, k) =>
          pub.publish({ image: `app:${i + k}`, level: 1 }, { messageId: `m-${i + k}` }),
        ),
      );
    }
    const seen = tally();
    const logs: string[] = [];
    const c = await consumer({
      url: rabbit().url,
      queue,
      ledger: store,
      reconnectMaxMs: 1_000,
      onLog: (level, message) => logs.push(`${level} ${message}`),
      handle: async (_message, meta) => {
        seen.counts.set(meta.messageId, (seen.counts.get(meta.messageId) ?? 0) + 1);
        // Slow enough that the restart lands in the middle of the stream
        await sleep(15);
        return { outcomes: [] };
      },
    });
    await waitFor(
      "half the messages",
      () => seen.total() >= N / 2,
      60_000,
      () => seen.total(),
    );
    const before = seen.total();
    await rabbit().restart();
    console.log(`# restarted the broker after ${before} of ${N} messages (start ${rabbit().startMs} ms)`);
    assert.ok(before < N, `the restart came after the stream ended (${before})`);
    // The publisher reconnects too: 20 more messages after the restart
    for (let i = N; i < N + 20; i++) await pub.publish({ image: `app:${i}` }, { messageId: `m-${i}` });
    await waitFor(
      "every message",
      () => seen.total() === N + 20,
      60_000,
      () => [seen.total(), c.stats],
    );
    await waitFor(
      "an empty queue",
      async () => (await depth(queue)) === 0,
      30_000,
      () => c.stats,
    );
    assert.deepEqual(seen.twice(), [], "no message ran twice");
    for (let i = 0; i < N + 20; i++) assert.equal(seen.counts.get(`m-${i}`), 1, `m-${i} ran once`);
    assert.ok(c.stats.connections >= 2, `the consumer reconnected: ${JSON.stringify(c.stats)}`);
    assert.ok(
      logs.some((l) => l.includes("Reconnected")),
      "the reconnection was logged",
    );
    const events = await store.listEvents({ limit: 1_000 });
    assert.equal(events.length, N + 20);
    assert.ok(events.every((e) => e.state === "done" && e.source === `amqp:${queue}`));
    console.log(`# consumer stats ${JSON.stringify(c.stats)}`);
  });

  it("handles every message exactly once when the broker is killed (SIGKILL) mid-stream", async () => {
    const queue = "events-crash";
    const store = await ledger();
    const pub = await publisher(queue);
    // Measured on RabbitMQ 3.10: a quorum queue killed within about a second of its declaration can come back
    // empty (a classic queue does not); declared 2 s or more before, its confirmed messages all survive
    await sleep(3_000);
    const N = 300;
    for (let i = 0; i < N; i += 50) {
      await Promise.all(
        Array.from({ length: 50 }, (_, k) => pub.publish({ n: i + k }, { messageId: `k-${i + k}` })),
      );
    }
    const seen = tally();
    const c = await consumer({
      url: rabbit().url,
      queue,
      ledger: store,
      reconnectMaxMs: 1_000,
      handle: async (_message, meta) => {
        seen.counts.set(meta.messageId, (seen.counts.get(meta.messageId) ?? 0) + 1);
        await sleep(15);
        return { outcomes: [] };
      },
    });
    await waitFor(
      "a third of the messages",
      () => seen.total() >= N / 3,
      60_000,
      () => seen.total(),
    );
    await rabbit().crash();
    await waitFor(
      "every message",
      () => seen.total() === N,
      60_000,
      () => [seen.total(), c.stats],
    );
    await waitFor(
      "an empty queue",
      async () => (await depth(queue)) === 0,
      30_000,
      () => c.stats,
    );
    assert.deepEqual(seen.twice(), [], "no message ran twice");
    assert.ok(c.stats.connections >= 2, `the consumer reconnected: ${JSON.stringify(c.stats)}`);
    // Deliveries the crash left unacknowledged come back (received > N) and the ledger acks them unrun
    console.log(`# after the crash: ${JSON.stringify(c.stats)}`);
  });

  it("shares one queue between two consumers: both work, together each message once", async () => {
    const queue = "events-shared";
    const store = await ledger();
    const pub = await publisher(queue);
    const byConsumer = [tally(), tally()];
    const consumers = await Promise.all(
      byConsumer.map((seen) =>
        consumer({
          url: rabbit().url,
          queue,
          ledger: store,
          prefetch: 4,
          handle: async (_m, meta) => {
            seen.counts.set(meta.messageId, (seen.counts.get(meta.messageId) ?? 0) + 1);
            await sleep(2);
            return { outcomes: [] };
          },
        }),
      ),
    );
    const N = 300;
    await Promise.all(Array.from({ length: N }, (_, i) => pub.publish({ n: i }, { messageId: `s-${i}` })));
    const total = () => byConsumer.reduce((sum, seen) => sum + seen.total(), 0);
    await waitFor(
      "every message",
      () => total() >= N,
      60_000,
      () => consumers.map((c) => c.stats),
    );
    await waitFor("an empty queue", async () => (await depth(queue)) === 0, 30_000);
    const [a, b] = byConsumer as [ReturnType<typeof tally>, ReturnType<typeof tally>];
    assert.ok(a.total() > 0 && b.total() > 0, `both consumers worked: ${a.total()} and ${b.total()}`);
    assert.deepEqual([...a.twice(), ...b.twice()], []);
    const union = new Set([...a.counts.keys(), ...b.counts.keys()]);
    assert.equal(union.size, N);
    assert.equal(a.total() + b.total(), N, "no message ran in both consumers");
  });

  it("acknowledges without running again a message redelivered after it was recorded but not acked", async () => {
    const queue = "events-redelivered";
    const store = await ledger();
    const pub = await publisher(queue);
    const seen = tally();
    let cut = false;
    const redeliveries: boolean[] = [];
    const c = await consumer({
      url: rabbit().url,
      queue,
      ledger: store,
      reconnectMaxMs: 500,
      handle: async (_m, meta) => {
        seen.counts.set(meta.messageId, (seen.counts.get(meta.messageId) ?? 0) + 1);
        redeliveries.push(meta.redelivered);
        return {
          outcomes: [{ action: "log", at: "test.rules:1", status: "ok", startedAt: "", durationMs: 0 }],
        };
      },
      hooks: {
        // The consumer "dies" after the ledger said done and before the ack reached the broker
        afterFinish: async (messageId) => {
          if (messageId !== "r-1" || cut) return;
          cut = true;
          await rabbit().closeConnections();
        },
      },
    });
    await pub.publish({ image: "app:1" }, { messageId: "r-1" }).catch(async () => {
      // The cut may close the publisher's connection while it waits for the confirm; it reconnects
      await pub.publish({ image: "app:1" }, { messageId: "r-1" });
    });
    await waitFor(
      "the redelivery",
      () => c.stats.duplicates >= 1,
      30_000,
      () => c.stats,
    );
    await waitFor(
      "an empty queue",
      async () => (await depth(queue)) === 0,
      30_000,
      () => c.stats,
    );
    assert.ok(cut, "the connection was cut between the ledger and the ack");
    assert.equal(seen.counts.get("r-1"), 1, "the handler ran once");
    assert.deepEqual(redeliveries, [false]);
    const [event] = await store.listEvents({ messageId: "r-1", limit: 1 });
    assert.equal(event?.state, "done");
    assert.equal(event?.outcomes.length, 1);
  });

  it("publish resolves only once the broker confirmed the message", async () => {
    const queue = "events-confirm";
    const pub = await publisher(queue);
    await pub.publish({ warmup: true }, { messageId: "c-0" });
    assert.equal(await depth(queue), 1, "a confirmed message is in the queue");
    // A memory alarm makes the broker block publishers: nothing is confirmed until it clears
    await rabbit().ctl(["set_vm_memory_high_watermark", "0.0000001"]);
    try {
      let settled = false;
      const pending = pub.publish({ blocked: true }, { messageId: "c-1" }).finally(() => {
        settled = true;
      });
      await sleep(1_500);
      assert.equal(settled, false, "publish resolved while the broker could not take the message");
      await rabbit().ctl(["set_vm_memory_high_watermark", "0.4"]);
      assert.equal(await pending, "c-1");
    } finally {
      await rabbit().ctl(["set_vm_memory_high_watermark", "0.4"]);
    }
    assert.equal(await depth(queue), 2);
    // What a consumer receives: persistent, JSON, with the id given
    const conn = new Connection(rabbit().url);
    closers.push(() => conn.close());
    const got = await conn.basicGet({ queue, noAck: true });
    assert.equal(got?.messageId, "c-0");
    assert.equal(got?.contentType, "application/json");
    assert.equal(got?.durable, true);
    assert.deepEqual(got?.body, { warmup: true });
    const uuid = await pub.publish({ any: 1 });
    assert.match(uuid, /^[0-9a-f-]{36}$/);
  });
});
