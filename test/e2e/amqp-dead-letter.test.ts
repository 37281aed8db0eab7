import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Connection, type SyncMessage } from "rabbitmq-client";
import { consumeEvents, REASON_HEADER } from "../../src/queue/amqp-consumer.js";
import { openDecisionPublisher, openPublisher } from "../../src/queue/amqp-publisher.js";
import { openSqliteStore, SQLITE_MEMORY } from "../../src/store/sqlite-store.js";
import { type RabbitMqHandle, rabbitMqMissing, startRabbitMq, waitFor } from "./support/rabbitmq-harness.js";

// Poison messages against a real RabbitMQ node: unreadable bodies are dead-lettered at once with the reason,
// a handler that always throws is dead-lettered after maxDeliveries with its error, and nothing else is lost.
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

function url(): string {
  assert.ok(broker, "RabbitMQ did not start");
  return broker.url;
}

async function connection(): Promise<Connection> {
  const conn = new Connection(url());
  closers.push(() => conn.close());
  return conn;
}

/** Takes every message of a queue (acknowledged), by message id. */
async function drain(conn: Connection, queue: string): Promise<Map<string, SyncMessage>> {
  const out = new Map<string, SyncMessage>();
  for (;;) {
    const msg = await conn.basicGet({ queue, noAck: true });
    if (msg === undefined) return out;
    out.set(String(msg.messageId), msg);
  }
}

describe("AMQP dead letters against a real RabbitMQ", { skip: missing }, () => {
  it("dead-letters unreadable bodies at once and a failing handler after maxDeliveries, with the reason", async () => {
    const queue = "events-poison";
    const store = await openSqliteStore(SQLITE_MEMORY);
    closers.push(() => store.close());
    const calls = new Map<string, number[]>();
    const consumer = await consumeEvents({
      url: url(),
      queue,
      ledger: store,
      maxDeliveries: 3,
      handle: async (message, meta) => {
        calls.set(meta.messageId, [...(calls.get(meta.messageId) ?? []), meta.deliveryCount]);
        if (message.kind === "explode") throw new Error("exploded on purpose");
        return { outcomes: [] };
      },
    });
    closers.push(() => consumer.close());
    const conn = await connection();
    // Raw bodies, as a careless sender would publish them
    const raw = conn.createPublisher({ confirm: true });
    closers.push(() => raw.close());
    const send = (messageId: string, body: Buffer, contentType?: string) =>
      raw.send(
        { routingKey: queue, messageId, durable: true, ...(contentType ? { contentType } : {}) },
        body,
      );
    await send("not-json", Buffer.from("level >= 3 {"));
    await send("array", Buffer.from("[1, 2, 3]"), "application/json");
    await send("not-utf8", Buffer.from([0x7b, 0xff, 0xfe, 0x7d]));
    await send("too-large", Buffer.from(JSON.stringify({ pad: "x".repeat(1024 * 1024 + 10) })));
    const pub = await openPublisher({ url: url(), queue });
    closers.push(() => pub.close());
    await pub.publish({ kind: "explode", image: "app:1" }, { messageId: "explode" });
    await pub.publish({ image: "app:2", level: 3 }, { messageId: "fine" });

    const expected: Record<string, RegExp> = {
      "not-json": /not valid JSON|as JSON/,
      array: /is an array, not an object/,
      "not-utf8": /not UTF-8/,
      "too-large": /over the limit of 1048576/,
      explode: /after 3 deliveries: exploded on purpose/,
    };
    await waitFor(
      "five dead letters",
      () => consumer.stats.deadLettered === 5,
      60_000,
      () => consumer.stats,
    );
    const dead = await drain(conn, `${queue}.dead`);
    assert.deepEqual([...dead.keys()].sort(), Object.keys(expected).sort());
    for (const [id, reason] of Object.entries(expected)) {
      const letter = dead.get(id);
      assert.match(String(letter?.headers?.[REASON_HEADER]), reason, `${id}: reason header`);
      assert.equal(letter?.headers?.["x-cipolice-source"], `amqp:${queue}`);
      assert.equal(letter?.durable, true);
      const [event] = await store.listEvents({ messageId: id, limit: 1 });
      assert.equal(event?.state, "dead_lettered", `${id}: ledger state`);
      assert.match(String(event?.reason), reason, `${id}: ledger reason`);
    }
    // The dead letter carries the body as it was sent
    assert.deepEqual(dead.get("not-json")?.body, Buffer.from("level >= 3 {"));
    assert.deepEqual(
      calls.get("explode"),
      [1, 2, 3],
      "the failing handler ran once per delivery, three times",
    );
    assert.deepEqual(calls.get("fine"), [1]);
    assert.equal([...calls.keys()].length, 2, "unreadable bodies never reached the handler");
    const [fine] = await store.listEvents({ messageId: "fine", limit: 1 });
    assert.equal(fine?.state, "done");
    assert.equal((await conn.queueDeclare({ queue, passive: true })).messageCount, 0);
    // A dead-lettered message sent again is acknowledged without running
    await pub.publish({ kind: "explode" }, { messageId: "explode" });
    await waitFor(
      "the duplicate",
      () => consumer.stats.duplicates === 1,
      30_000,
      () => consumer.stats,
    );
    assert.equal(calls.get("explode")?.length, 3);
  });

  it("publishes decisions to the topic exchange under decision.<outcome>", async () => {
    const conn = await connection();
    const decisions = await openDecisionPublisher({ url: url() });
    closers.push(() => decisions.close());
    await conn.queueDeclare({ queue: "failures", durable: true });
    await conn.queueBind({ queue: "failures", exchange: "cipolice.decisions", routingKey: "decision.fail" });
    const record = (id: string, outcome: "pass" | "fail") => ({
      decisionId: id,
      image: "registry.example/app:1",
      outcome,
      origin: "api",
      decidedAt: "2026-12-07T12:00:00.000Z",
    });
    await decisions.publishDecision(record("d-pass", "pass"));
    await decisions.publishDecision(record("d-fail", "fail"));
    const got = await drain(conn, "failures");
    assert.deepEqual([...got.keys()], ["d-fail"]);
    assert.equal(got.get("d-fail")?.routingKey, "decision.fail");
    assert.equal((got.get("d-fail")?.body as { outcome?: string } | undefined)?.outcome, "fail");
  });
});
