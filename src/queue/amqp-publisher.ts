import { randomUUID } from "node:crypto";
import { Connection } from "rabbitmq-client";
import { CipError } from "../model/index.js";
import type { DecisionRecord } from "../service/store-ports.js";
import { deadLetterDeclarations, eventQueueDeclaration, eventQueueTopology } from "./amqp-topology.js";
import { withTimeout } from "./async-util.js";
import { brokerLocation, queueError } from "./queue-error.js";

/** Options of {@link openPublisher}. `cipolice publish` maps its flags onto these one to one. */
export interface PublisherOptions {
  /** `amqp://user:password@host:port/vhost`. */
  url: string;
  /**
   * Publish straight to this event queue (through the default exchange). The queue is declared as the
   * consumer declares it (durable quorum queue, dead-letter exchange), so messages sent before any consumer
   * ran wait in it. `deliveryLimit`, `deadLetterExchange` and `deadLetterQueue` must then match the consumer's.
   */
  queue?: string;
  deliveryLimit?: number;
  deadLetterExchange?: string;
  deadLetterQueue?: string;
  /** Or publish to this exchange (declared durable, of `exchangeType`, `topic` unless told) … */
  exchange?: string;
  exchangeType?: "topic" | "direct" | "fanout";
  /** … with this routing key (unless `publish` names one). */
  routingKey?: string;
  /** How long opening may wait for the broker (default 30 s). */
  startTimeoutMs?: number;
  /** Longest wait for the broker's confirmation of one message, reconnection included (default 30 s). */
  confirmTimeoutMs?: number;
}

/** What {@link Publisher.publish} takes besides the message. */
export interface PublishOptions {
  /** The message id consumers deduplicate by; a random UUID when not given. */
  messageId?: string;
  /** Overrides the publisher's routing key (exchange publishers). */
  routingKey?: string;
  /** Extra headers. */
  headers?: Record<string, string | number | boolean>;
}

/** A confirmed publisher; see {@link openPublisher}. */
export interface Publisher {
  /**
   * Sends one JSON message as persistent (`delivery_mode` 2), `application/json`, with a message id, and
   * resolves with that id only once the broker confirmed it (written to the queue, or routed nowhere for an
   * exchange without bindings). Rejects (CIP_QUEUE) when the broker refused it or did not confirm in time.
   */
  publish(message: unknown, options?: PublishOptions): Promise<string>;
  /** Waits for pending confirmations, then closes the connection. */
  close(): Promise<void>;
}

/**
 * Opens a publisher with publisher confirms on its own connection, which reconnects with backoff; a publish
 * that fails because the connection dropped is tried again (3 attempts). Give `queue` or `exchange`; it is
 * declared before this resolves (CIP_QUEUE when the broker does not answer within `startTimeoutMs`).
 */
export async function openPublisher(options: PublisherOptions): Promise<Publisher> {
  if ((options.queue === undefined) === (options.exchange === undefined)) {
    throw new CipError("CIP_CONFIG_INVALID", "Cannot publish: give either a queue or an exchange", {
      hint: "Name the event queue (--queue) or an exchange (--exchange with --routing-key).",
    });
  }
  const where = brokerLocation(options.url);
  const topology =
    options.queue === undefined
      ? undefined
      : eventQueueTopology(options.queue, {
          ...(options.deliveryLimit === undefined ? {} : { deliveryLimit: options.deliveryLimit }),
          ...(options.deadLetterExchange === undefined
            ? {}
            : { deadLetterExchange: options.deadLetterExchange }),
          ...(options.deadLetterQueue === undefined ? {} : { deadLetterQueue: options.deadLetterQueue }),
        });
  const connection = new Connection({
    url: options.url,
    connectionName: "cipolice publish",
    retryLow: 250,
    retryHigh: 5_000,
  });
  // Without a listener an unreachable broker would be an unhandled 'error' event; publish() reports it instead
  connection.on("error", () => {});
  const deadLetters = topology === undefined ? undefined : deadLetterDeclarations(topology);
  const declarations =
    topology === undefined || deadLetters === undefined
      ? {
          queues: [],
          exchanges: [
            { exchange: options.exchange ?? "", type: options.exchangeType ?? "topic", durable: true },
          ],
          queueBindings: [],
        }
      : {
          // The queue and its dead-letter side, as the consumer declares them
          queues: [eventQueueDeclaration(topology), ...deadLetters.queues],
          exchanges: deadLetters.exchanges,
          queueBindings: deadLetters.queueBindings,
        };
  // Declared now as well as on every reconnection: open fails fast on a wrong URL, and consumers can bind
  try {
    await withTimeout(
      (async () => {
        for (const exchange of declarations.exchanges) await connection.exchangeDeclare(exchange);
        for (const queue of declarations.queues) await connection.queueDeclare(queue);
        for (const binding of declarations.queueBindings) await connection.queueBind(binding);
      })(),
      options.startTimeoutMs ?? 30_000,
      "the broker did not answer",
    );
  } catch (error) {
    await connection.close().catch(() => {});
    throw queueError("open a publisher", error, where);
  }
  const publisher = connection.createPublisher({ confirm: true, maxAttempts: 3, ...declarations });
  const timeoutMs = options.confirmTimeoutMs ?? 30_000;
  return {
    async publish(message, publishOptions = {}) {
      const messageId = publishOptions.messageId ?? randomUUID();
      const target =
        topology === undefined
          ? {
              exchange: options.exchange ?? "",
              routingKey: publishOptions.routingKey ?? options.routingKey ?? "",
            }
          : { exchange: "", routingKey: topology.queue };
      const body = Buffer.from(JSON.stringify(message) ?? "null");
      try {
        await withTimeout(
          publisher.send(
            {
              ...target,
              durable: true,
              contentType: "application/json",
              messageId,
              ...(publishOptions.headers === undefined ? {} : { headers: publishOptions.headers }),
            },
            body,
          ),
          timeoutMs,
          "no confirmation from the broker",
        );
      } catch (error) {
        const to = topology === undefined ? `exchange ${target.exchange}` : `queue ${topology.queue}`;
        throw queueError(`publish message ${messageId}`, error, `${where} ${to}`);
      }
      return messageId;
    },
    async close() {
      await publisher.close();
      await connection.close();
    },
  };
}

/** The exchange decisions are published to, and the prefix of their routing keys (`decision.pass`). */
export const DECISIONS_EXCHANGE = "cipolice.decisions";

/** A publisher of the server's decisions; see {@link openDecisionPublisher}. */
export interface DecisionPublisher {
  /** Publishes a decision record, its decision id as message id, routing key `decision.<outcome>`. */
  publishDecision(record: DecisionRecord): Promise<string>;
  close(): Promise<void>;
}

/**
 * Opens a publisher of decisions to the durable topic exchange `cipolice.decisions` (or `exchange`): bind a
 * queue with `decision.fail` for failures only, `decision.*` for all.
 */
export async function openDecisionPublisher(options: {
  url: string;
  exchange?: string;
  confirmTimeoutMs?: number;
}): Promise<DecisionPublisher> {
  const publisher = await openPublisher({
    url: options.url,
    exchange: options.exchange ?? DECISIONS_EXCHANGE,
    exchangeType: "topic",
    ...(options.confirmTimeoutMs === undefined ? {} : { confirmTimeoutMs: options.confirmTimeoutMs }),
  });
  return {
    publishDecision: (record) =>
      publisher.publish(record, { messageId: record.decisionId, routingKey: `decision.${record.outcome}` }),
    close: () => publisher.close(),
  };
}
