import { CipError } from "../model/index.js";

/**
 * Where event messages wait and where given-up ones go. The event queue is a durable **quorum** queue: the
 * broker counts each message's deliveries (`x-delivery-count`, kept across broker restarts and consumers),
 * which a classic queue does not (it has only a `redelivered` flag, so the count would need a table of our
 * own), and it enforces `x-delivery-limit` as a backstop for a message that kills every consumer that takes
 * it. Dead letters go through a durable direct exchange into a durable classic queue.
 */
export interface EventQueueTopology {
  /** The event queue (quorum, durable). */
  queue: string;
  /** Exchange dead letters are published to (direct, durable); `<queue>.dead` unless told. */
  deadLetterExchange: string;
  /** Queue dead letters end in (classic, durable), bound to the exchange under its own name; `<queue>.dead` unless told. */
  deadLetterQueue: string;
  /**
   * The broker's own delivery limit (`x-delivery-limit`): past it the broker dead-letters a message itself,
   * without a reason header (`x-death` says `delivery_limit`). Part of the queue's declaration: every
   * consumer and publisher of one queue must give the same value.
   */
  deliveryLimit: number;
}

/** Default of {@link EventQueueTopology.deliveryLimit}: well above any `maxDeliveries`, counting broker restarts and busy requeues. */
export const DEFAULT_DELIVERY_LIMIT = 50;

/** Names of a queue's topology, defaults filled in; throws CIP_CONFIG_INVALID for an empty or over-long name. */
export function eventQueueTopology(
  queue: string,
  options: { deadLetterExchange?: string; deadLetterQueue?: string; deliveryLimit?: number } = {},
): EventQueueTopology {
  const topology = {
    queue,
    deadLetterExchange: options.deadLetterExchange ?? `${queue}.dead`,
    deadLetterQueue: options.deadLetterQueue ?? `${queue}.dead`,
    deliveryLimit: options.deliveryLimit ?? DEFAULT_DELIVERY_LIMIT,
  };
  for (const [what, name] of [
    ["queue", topology.queue],
    ["dead-letter exchange", topology.deadLetterExchange],
    ["dead-letter queue", topology.deadLetterQueue],
  ] as const) {
    // AMQP short strings: at most 255 bytes; names starting amq. are reserved by the broker
    if (name === "" || Buffer.byteLength(name) > 255 || name.startsWith("amq.")) {
      throw new CipError("CIP_CONFIG_INVALID", `Cannot use ${JSON.stringify(name)} as the ${what} name`, {
        hint: "Give a name of 1 to 255 bytes that does not start with amq.",
      });
    }
  }
  if (!Number.isInteger(topology.deliveryLimit) || topology.deliveryLimit < 1) {
    throw new CipError("CIP_CONFIG_INVALID", `Cannot use ${topology.deliveryLimit} as the delivery limit`, {
      hint: "Give a whole number of at least 1.",
    });
  }
  return topology;
}

/** The `queueDeclare` parameters of the event queue; the same wherever it is declared, or the broker refuses. */
export function eventQueueDeclaration(topology: EventQueueTopology) {
  return {
    queue: topology.queue,
    durable: true,
    arguments: {
      "x-queue-type": "quorum" as const,
      "x-delivery-limit": topology.deliveryLimit,
      "x-dead-letter-exchange": topology.deadLetterExchange,
      "x-dead-letter-routing-key": topology.deadLetterQueue,
    },
  };
}

/** Declarations of the dead-letter exchange, queue and binding (all durable). */
export function deadLetterDeclarations(topology: EventQueueTopology) {
  return {
    exchanges: [{ exchange: topology.deadLetterExchange, type: "direct" as const, durable: true }],
    queues: [{ queue: topology.deadLetterQueue, durable: true }],
    queueBindings: [
      {
        exchange: topology.deadLetterExchange,
        queue: topology.deadLetterQueue,
        routingKey: topology.deadLetterQueue,
      },
    ],
  };
}
