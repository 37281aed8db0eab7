import { Command, Option } from "@commander-js/extra-typings";
import { collect } from "../gather-options.js";
import { runServer } from "./serve.js";

/**
 * `cipolice consume`: a worker that runs the rules on the messages of a RabbitMQ queue (durable, manual
 * acknowledgement, idempotent by message id through the store, dead-lettered with the reason when a message
 * cannot be read or keeps failing). It decides each message's image with the policy first, as `serve` does,
 * and serves only health and metrics over HTTP.
 */
export function consumeCommand(setExitCode: (code: number) => void) {
  return new Command("consume")
    .description(
      "Run the rules on event messages from a RabbitMQ queue (decide each message's image first); health and metrics over HTTP",
    )
    .option("--amqp <url>", "the broker (amqp://user:pass@host:5672/vhost; or events.amqp in --config)")
    .option(
      "--queue <name>",
      "the durable event queue (default cipolice.events; <queue>.dead holds dead letters)",
    )
    .addOption(
      new Option("--rules <file>", "rules file, repeatable, evaluated in the order given")
        .argParser(collect)
        .default([] as string[]),
    )
    .option("--allow-unknown-actions", "load rules whose actions name nothing runnable (they fail when run)")
    .option("--prefetch <n>", "messages held unacknowledged and processed at once (default 16)")
    .option("--max-deliveries <n>", "a message that failed this many times is dead-lettered (default 5)")
    .addOption(
      new Option("--policy <file>", "policy bundle, repeatable (default: the shipped default bundle)")
        .argParser(collect)
        .default([] as string[]),
    )
    .option("--store <spec>", "sqlite:PATH or postgres://… (the event ledger; share it among workers)")
    .option("--config <file>", "configuration file as `serve` reads it (events, store, registry, …)")
    .option("--data-dir <dir>", "where the embedded store lives")
    .option("--listen <host:port>", "health and metrics address (default 127.0.0.1:8080)")
    .option("--log-level <level>", "trace, debug, info, warn, error or silent")
    .action((opts) => runServer(opts, setExitCode, "consume"));
}
