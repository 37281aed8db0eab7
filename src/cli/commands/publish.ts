import { Command } from "@commander-js/extra-typings";
import { CipError } from "../../model/index.js";
import { readInputFile } from "../read-input.js";

const MAX_MESSAGES_BYTES = 64 * 1024 * 1024;

/**
 * `cipolice publish`: sends event messages (JSON objects) to CIPolicE's queue, for scanners and CI. Each is
 * persistent, has a message id (given with --message-id, else a new UUID) and is confirmed by the broker
 * before the next; the ids are printed, one per line.
 */
export function publishCommand(setExitCode: (code: number) => void) {
  return new Command("publish")
    .description(
      "Send event messages (JSON objects) to a RabbitMQ queue or exchange, confirmed by the broker",
    )
    .argument("<message...>", "a JSON object, @FILE, or @- for standard input")
    .requiredOption("--amqp <url>", "the broker (amqp://user:pass@host:5672/vhost)")
    .option("--queue <name>", "the event queue (default cipolice.events)")
    .option("--exchange <name>", "publish to this topic exchange instead of the queue")
    .option("--routing-key <key>", "routing key on the exchange")
    .option("--message-id <id>", "the id consumers deduplicate by (one message only)")
    .option("--ndjson", "each input holds one JSON object per line")
    .action(async (inputs, opts) => {
      const messages = inputs.flatMap((input) => readMessages(input, opts.ndjson === true));
      if (opts.messageId !== undefined && messages.length !== 1) {
        throw new CipError("CIP_USAGE", `Cannot give one --message-id to ${messages.length} messages`, {
          hint: "Publish one message per call with --message-id, or leave ids to the publisher.",
        });
      }
      if (opts.exchange === undefined && opts.routingKey !== undefined) {
        throw new CipError("CIP_USAGE", "Cannot use --routing-key without --exchange", {
          hint: "Name the exchange the key routes on, or publish to --queue.",
        });
      }
      const { openPublisher } = await import("../../queue/amqp-publisher.js");
      const publisher = await openPublisher({
        url: opts.amqp,
        ...(opts.exchange !== undefined
          ? {
              exchange: opts.exchange,
              ...(opts.routingKey !== undefined ? { routingKey: opts.routingKey } : {}),
            }
          : { queue: opts.queue ?? "cipolice.events" }),
      });
      try {
        for (const message of messages) {
          const id = await publisher.publish(
            message,
            opts.messageId !== undefined ? { messageId: opts.messageId } : {},
          );
          process.stdout.write(`${id}\n`);
        }
      } finally {
        await publisher.close();
      }
      setExitCode(0);
    });
}

/** The messages of one input: inline JSON, a file, or standard input; each must be a JSON object. */
function readMessages(input: string, ndjson: boolean): Record<string, unknown>[] {
  const where = input.startsWith("@") ? (input === "@-" ? "standard input" : input.slice(1)) : "the argument";
  const text = input.startsWith("@")
    ? readInputFile(input === "@-" ? "-" : input.slice(1), "message", MAX_MESSAGES_BYTES)
    : input;
  const documents = ndjson
    ? text
        .split("\n")
        .map((line, i) => ({ line: i + 1, text: line.trim() }))
        .filter((l) => l.text !== "")
    : [{ line: 1, text }];
  return documents.map(({ line, text: doc }) => {
    let value: unknown;
    try {
      value = JSON.parse(doc);
    } catch (error) {
      throw new CipError(
        "CIP_PARSE",
        `Cannot publish: ${ndjson ? `line ${line} of ` : ""}${where} is not valid JSON (${(error as Error).message})`,
        { hint: 'Give a JSON object such as {"image":"nginx:1.25","level":3}.' },
      );
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      throw new CipError(
        "CIP_USAGE",
        `Cannot publish: ${ndjson ? `line ${line} of ` : ""}${where} is not a JSON object`,
        {
          hint: "Rules read fields of an object: send one object per message (--ndjson for one per line).",
        },
      );
    }
    return value as Record<string, unknown>;
  });
}
