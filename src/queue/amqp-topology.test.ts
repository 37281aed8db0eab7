import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { consumeEvents } from "./amqp-consumer.js";
import { openPublisher } from "./amqp-publisher.js";
import { DEFAULT_DELIVERY_LIMIT, eventQueueDeclaration, eventQueueTopology } from "./amqp-topology.js";

describe("eventQueueTopology", () => {
  it("names the dead-letter side after the queue, and declares a durable quorum queue pointing at it", () => {
    const topology = eventQueueTopology("cipolice.events");
    assert.deepEqual(topology, {
      queue: "cipolice.events",
      deadLetterExchange: "cipolice.events.dead",
      deadLetterQueue: "cipolice.events.dead",
      deliveryLimit: DEFAULT_DELIVERY_LIMIT,
    });
    assert.deepEqual(eventQueueDeclaration(topology).arguments, {
      "x-queue-type": "quorum",
      "x-delivery-limit": DEFAULT_DELIVERY_LIMIT,
      "x-dead-letter-exchange": "cipolice.events.dead",
      "x-dead-letter-routing-key": "cipolice.events.dead",
    });
  });

  it("refuses names the broker would refuse", () => {
    for (const name of ["", "amq.events", "x".repeat(256)]) {
      assert.throws(() => eventQueueTopology(name), { code: "CIP_CONFIG_INVALID" });
    }
    assert.throws(() => eventQueueTopology("q", { deliveryLimit: 0 }), { code: "CIP_CONFIG_INVALID" });
  });
});

describe("options checked before connecting", () => {
  const ledger = {
    claimEvent: async () => "new" as const,
    finishEvent: async () => {},
    releaseEvent: async () => {},
    listEvents: async () => [],
  };
  const handle = async () => ({ outcomes: [] });
  it("refuses a maxDeliveries the broker's delivery limit would cut short, and a zero prefetch", async () => {
    const url = "amqp://guest:guest@127.0.0.1:1";
    await assert.rejects(consumeEvents({ url, queue: "q", ledger, handle, maxDeliveries: 0 }), {
      code: "CIP_CONFIG_INVALID",
    });
    await assert.rejects(
      consumeEvents({ url, queue: "q", ledger, handle, maxDeliveries: 10, deliveryLimit: 10 }),
      { code: "CIP_CONFIG_INVALID", message: /maxDeliveries is 10, not 1 to 9/ },
    );
    await assert.rejects(consumeEvents({ url, queue: "q", ledger, handle, prefetch: 0 }), {
      code: "CIP_CONFIG_INVALID",
    });
  });

  it("asks for a queue or an exchange, not both", async () => {
    const url = "amqp://guest:guest@127.0.0.1:1";
    await assert.rejects(openPublisher({ url }), { code: "CIP_CONFIG_INVALID" });
    await assert.rejects(openPublisher({ url, queue: "q", exchange: "x" }), { code: "CIP_CONFIG_INVALID" });
  });

  it("fails, rather than waits forever, when the broker cannot be reached", async () => {
    await assert.rejects(
      openPublisher({ url: "amqp://guest:guest@127.0.0.1:1", queue: "q", startTimeoutMs: 500 }),
      { code: "CIP_QUEUE", message: /Cannot open a publisher: .*127\.0\.0\.1:1/ },
    );
    const began = Date.now();
    await assert.rejects(
      consumeEvents({
        url: "amqp://guest:guest@127.0.0.1:1",
        queue: "q",
        ledger,
        handle,
        startTimeoutMs: 500,
      }),
      { code: "CIP_QUEUE", message: /Cannot consume events: / },
    );
    assert.ok(Date.now() - began < 5_000, "gave up soon after the start timeout");
  });
});
