import { setTimeout as sleep } from "node:timers/promises";
import { type AsyncMessage, Connection, ConsumerStatus } from "rabbitmq-client";
import { CipError } from "../model/index.js";
import type { ActionRecord, EventStore } from "../service/store-ports.js";
import {
  deadLetterDeclarations,
  type EventQueueTopology,
  eventQueueDeclaration,
  eventQueueTopology,
} from "./amqp-topology.js";
import { withTimeout } from "./async-util.js";
import { decodeMessageBody, MAX_MESSAGE_BYTES, messageIdOf } from "./message-body.js";
import { brokerLocation, queueError } from "./queue-error.js";

/** What a handler learns about the message besides its body. */
export interface EventMeta {
  /** Ledger id: AMQP `messageId`, else `sha256:` of the body (see {@link messageIdOf}). */
  messageId: string;
  /** The broker's flag: this message was delivered before (to this or another consumer). */
  redelivered: boolean;
  /** 1 on the first delivery; the broker's `x-delivery-count` plus one after that. */
  deliveryCount: number;
  /** `amqp:<queue>`, as the ledger records it. */
  source: string;
}

/** One log line of a consumer; `fields` carry the message id, queue and counts. */
export type QueueLog = (
  level: "debug" | "info" | "warn" | "error",
  message: string,
  fields: Record<string, unknown>,
) => void;

/** Options of {@link consumeEvents}. `cipolice consume` maps its flags onto these one to one. */
export interface ConsumeEventsOptions {
  /** `amqp://user:password@host:port/vhost` (`amqps://` for TLS). */
  url: string;
  /** The event queue (declared durable, quorum). */
  queue: string;
  /** Messages delivered but not yet acknowledged, and handled at once (default 16). */
  prefetch?: number;
  /** Deliveries a message whose handler throws gets before it is dead-lettered with the error (default 5). */
  maxDeliveries?: number;
  /** Defaults `<queue>.dead`. */
  deadLetterExchange?: string;
  deadLetterQueue?: string;
  /** The broker's backstop `x-delivery-limit` (default 50); must be above `maxDeliveries`. */
  deliveryLimit?: number;
  /** Largest body read (default 1 MiB); a larger one is dead-lettered. */
  maxMessageBytes?: number;
  /** The event ledger that makes delivery idempotent. */
  ledger: EventStore;
  /** How long a claim holds before another worker may take the message over (default 5 minutes). */
  leaseMs?: number;
  /** Wait before requeueing a message another worker holds, or after a ledger failure (default 500 ms). */
  retryDelayMs?: number;
  /** Longest wait between reconnection attempts (default 10 s; the first waits 250 ms, doubling). */
  reconnectMaxMs?: number;
  /** How long the first connection may take before `consumeEvents` fails (default 30 s). */
  startTimeoutMs?: number;
  /** Runs the rules for one message; a throw means "try again" until `maxDeliveries`. */
  handle(message: Record<string, unknown>, meta: EventMeta): Promise<{ outcomes: ActionRecord[] }>;
  onLog?: QueueLog;
  /** Clock of the ledger records (tests). */
  now?: () => Date;
  /** Test hooks: `afterFinish` runs after the ledger recorded a message as done and before the ack. */
  hooks?: { afterFinish?(messageId: string): Promise<void> };
}

/** Counts since the consumer started. */
export interface ConsumerStats {
  /** Deliveries received (a redelivery counts again). */
  received: number;
  /** Messages handled and acknowledged. */
  handled: number;
  /** Deliveries of messages the ledger had finished already: acknowledged without running. */
  duplicates: number;
  /** Deliveries requeued because another worker held the claim. */
  busy: number;
  /** Deliveries requeued after the handler threw, or the ledger failed. */
  retried: number;
  /** Messages sent to the dead-letter queue by this consumer. */
  deadLettered: number;
  /** Times the connection came up (1 at start, one more per reconnection). */
  connections: number;
}

/** A running consumer. */
export interface EventConsumer {
  readonly topology: EventQueueTopology;
  readonly stats: ConsumerStats;
  /** Stops taking messages, waits for the handlers in flight (they ack), then closes the connection. */
  close(): Promise<void>;
}

/** Header of a dead letter that says why it was given up. */
export const REASON_HEADER = "x-cipolice-reason";
const REASON_MAX_CHARS = 2_000;

/**
 * Consumes event messages from a durable quorum queue with manual acknowledgement, at least once and
 * idempotent by message id. Per delivery: an unreadable body (not a JSON object, over the size limit) is
 * dead-lettered at once; the message id is claimed in the ledger: `done` acks without running, `busy`
 * requeues after a short wait, `new` runs `handle`, records the outcomes as `done`, then acks. A handler
 * that throws requeues the message until `maxDeliveries`, then dead-letters it with the error text. A dead
 * letter is published (confirmed) with the reason in `x-cipolice-reason`, recorded as `dead_lettered` in the
 * ledger, then acked. The connection reconnects with backoff and the consumer re-subscribes by itself.
 * Resolves once consuming; throws CIP_CONFIG_INVALID for bad options, CIP_QUEUE when the broker cannot be
 * reached within `startTimeoutMs`.
 */
export async function consumeEvents(options: ConsumeEventsOptions): Promise<EventConsumer> {
  const prefetch = options.prefetch ?? 16;
  const maxDeliveries = options.maxDeliveries ?? 5;
  const topology = eventQueueTopology(options.queue, options);
  checkWhole("prefetch", prefetch, 1, 65_535);
  checkWhole("maxDeliveries", maxDeliveries, 1, topology.deliveryLimit - 1);
  const maxBytes = options.maxMessageBytes ?? MAX_MESSAGE_BYTES;
  const leaseMs = options.leaseMs ?? 5 * 60_000;
  const retryDelayMs = options.retryDelayMs ?? 500;
  const now = options.now ?? (() => new Date());
  const log: QueueLog = options.onLog ?? (() => {});
  const source = `amqp:${topology.queue}`;
  const where = `${brokerLocation(options.url)} queue ${topology.queue}`;
  const ledger = options.ledger;
  const stats: ConsumerStats = {
    received: 0,
    handled: 0,
    duplicates: 0,
    busy: 0,
    retried: 0,
    deadLettered: 0,
    connections: 0,
  };

  const connection = new Connection({
    url: options.url,
    connectionName: `cipolice consume ${topology.queue}`,
    retryLow: 250,
    retryHigh: options.reconnectMaxMs ?? 10_000,
  });
  connection.on("connection", () => {
    stats.connections++;
    if (stats.connections > 1) log("info", "Reconnected to the broker", { queue: topology.queue });
  });
  connection.on("error", (error) => {
    log("warn", `Broker connection failed, reconnecting: ${errorText(error)}`, { queue: topology.queue });
  });
  const deadLetters = connection.createPublisher({
    confirm: true,
    maxAttempts: 3,
    ...deadLetterDeclarations(topology),
  });

  const deadLetter = async (
    msg: AsyncMessage,
    messageId: string,
    reason: string,
    message: Record<string, unknown> | undefined,
    deliveryCount: number,
  ): Promise<void> => {
    const short = reason.length > REASON_MAX_CHARS ? `${reason.slice(0, REASON_MAX_CHARS)}…` : reason;
    const { body, contentType } = rawBody(msg);
    // Published and confirmed before the ledger says dead_lettered: a crash in between repeats the dead
    // letter rather than losing it
    await deadLetters.send(
      {
        exchange: topology.deadLetterExchange,
        routingKey: topology.deadLetterQueue,
        durable: true,
        messageId,
        ...(contentType === undefined ? {} : { contentType }),
        ...(msg.contentEncoding === undefined ? {} : { contentEncoding: msg.contentEncoding }),
        headers: {
          ...msg.headers,
          [REASON_HEADER]: short,
          "x-cipolice-source": source,
          "x-cipolice-deliveries": deliveryCount,
        },
      },
      body,
    );
    await ledger.finishEvent(
      messageId,
      { state: "dead_lettered", message, outcomes: [], reason: short },
      now(),
    );
    stats.deadLettered++;
    log("warn", `Dead-lettered message ${messageId}: ${short}`, {
      messageId,
      queue: topology.queue,
      deadLetterQueue: topology.deadLetterQueue,
      deliveryCount,
    });
  };

  const onMessage = async (msg: AsyncMessage): Promise<ConsumerStatus> => {
    stats.received++;
    const messageId = messageIdOf(msg.messageId, msg.body);
    const deliveryCount = deliveryCountOf(msg);
    const fields = { messageId, queue: topology.queue, deliveryCount };
    try {
      const claim = await ledger.claimEvent(messageId, source, now(), leaseMs);
      if (claim === "done") {
        stats.duplicates++;
        log("debug", `Message ${messageId} was handled before: acknowledged without running`, fields);
        return ConsumerStatus.ACK;
      }
      if (claim === "busy") {
        stats.busy++;
        log("debug", `Message ${messageId} is held by another worker: requeued`, fields);
        await sleep(retryDelayMs);
        return ConsumerStatus.REQUEUE;
      }
      const decoded = decodeMessageBody(msg.body, maxBytes);
      if (!decoded.ok) {
        await deadLetter(msg, messageId, decoded.reason, undefined, deliveryCount);
        return ConsumerStatus.ACK;
      }
      let outcomes: ActionRecord[];
      try {
        ({ outcomes } = await options.handle(decoded.message, {
          messageId,
          redelivered: msg.redelivered,
          deliveryCount,
          source,
        }));
      } catch (error) {
        const text = errorText(error);
        if (deliveryCount >= maxDeliveries) {
          const reason = `Cannot handle the message after ${deliveryCount} deliveries: ${text}`;
          await deadLetter(msg, messageId, reason, decoded.message, deliveryCount);
          return ConsumerStatus.ACK;
        }
        // Released, so that whichever worker gets the message next runs it at once
        await ledger.releaseEvent(messageId);
        stats.retried++;
        log(
          "warn",
          `Handler failed on message ${messageId} (delivery ${deliveryCount} of ${maxDeliveries}), requeued: ${text}`,
          fields,
        );
        return ConsumerStatus.REQUEUE;
      }
      await ledger.finishEvent(messageId, { state: "done", message: decoded.message, outcomes }, now());
      await options.hooks?.afterFinish?.(messageId);
      stats.handled++;
      return ConsumerStatus.ACK;
    } catch (error) {
      // The ledger or the dead-letter publish failed: nothing was recorded as done, so it comes back later
      stats.retried++;
      log("error", `Cannot process message ${messageId}, requeued: ${errorText(error)}`, fields);
      await sleep(retryDelayMs);
      return ConsumerStatus.REQUEUE;
    }
  };

  const consumer = connection.createConsumer(
    {
      queue: topology.queue,
      queueOptions: eventQueueDeclaration(topology),
      qos: { prefetchCount: prefetch },
      concurrency: prefetch,
      requeue: true,
      // The dead-letter side exists before the first message: the broker's own delivery limit needs it too
      ...deadLetterDeclarations(topology),
      lazy: true,
    },
    onMessage,
  );
  consumer.on("error", (error) => {
    log("warn", `Consumer error: ${errorText(error)}`, { queue: topology.queue });
  });

  const close = async (): Promise<void> => {
    await consumer.close();
    await deadLetters.close();
    await connection.close();
  };
  try {
    await withTimeout(
      (async () => {
        await declareDeadLetterQueue(connection, topology);
        const ready = new Promise<void>((resolve) => consumer.once("ready", () => resolve()));
        consumer.start();
        await ready;
      })(),
      options.startTimeoutMs ?? 30_000,
      "the broker did not answer",
    );
  } catch (error) {
    // The connection first: closed while connecting it gives up at once, so the rest need not wait for it
    await connection.close().catch(() => {});
    await consumer.close().catch(() => {});
    await deadLetters.close().catch(() => {});
    throw queueError("consume events", error, where);
  }
  log("info", `Consuming ${topology.queue} (prefetch ${prefetch}, ${maxDeliveries} deliveries at most)`, {
    queue: topology.queue,
  });
  return { topology, stats, close };
}

/** Declares the dead-letter queue: a consumer declares only its own queue, and the publisher declares lazily. */
async function declareDeadLetterQueue(connection: Connection, topology: EventQueueTopology): Promise<void> {
  const declarations = deadLetterDeclarations(topology);
  for (const exchange of declarations.exchanges) await connection.exchangeDeclare(exchange);
  for (const queue of declarations.queues) await connection.queueDeclare(queue);
  for (const binding of declarations.queueBindings) await connection.queueBind(binding);
}

/** 1 on a first delivery; a quorum queue counts the returns before this one in `x-delivery-count`. */
function deliveryCountOf(msg: AsyncMessage): number {
  const returns = Number(msg.headers?.["x-delivery-count"] ?? 0);
  return (Number.isFinite(returns) && returns > 0 ? Math.floor(returns) : 0) + 1;
}

/** The body as bytes again, with its content type, so a dead letter carries what was sent. */
function rawBody(msg: AsyncMessage): { body: Buffer; contentType: string | undefined } {
  if (Buffer.isBuffer(msg.body)) return { body: msg.body, contentType: msg.contentType };
  if (typeof msg.body === "string") return { body: Buffer.from(msg.body), contentType: msg.contentType };
  return { body: Buffer.from(JSON.stringify(msg.body) ?? ""), contentType: "application/json" };
}

function checkWhole(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new CipError(
      "CIP_CONFIG_INVALID",
      `Cannot consume events: ${name} is ${value}, not ${min} to ${max}`,
      {
        hint:
          name === "maxDeliveries"
            ? "Give at least 1, and less than the queue's delivery limit."
            : `Give a whole number from ${min} to ${max}.`,
      },
    );
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
