import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { HttpClient } from "../../image/registry/http-request.js";
import type { EventConsumer } from "../../queue/amqp-consumer.js";
import type { DecisionPublisher, Publisher } from "../../queue/amqp-publisher.js";
import { planActions } from "../../rules/evaluate-rules.js";
import { resolveSenderAuth, type SenderAuth } from "../../rules/notifications/authenticate.js";
import type { ActionOutcome, RuleAction, RuleMessage } from "../../rules/rule-types.js";
import { runActions } from "../../rules/run-actions.js";
import {
  type EventMeta,
  EventReactor,
  type ProcessResult,
  type RuleBuiltins,
} from "../../service/react-to-event.js";
import type { DecisionRecord } from "../../service/store-ports.js";
import { WorkQueue } from "../../service/work-queue.js";
import { readConfiguredSecret } from "../config-secret.js";
import type { ServeConfig } from "../serve-config.js";
import { recordDecision, type ServeContext } from "../serve-context.js";
import type { ClairCallbackOptions } from "./clair-callback.js";
import { RulesFiles } from "./rules-files.js";

/** One message handed over for processing. */
export interface EventItem {
  message: RuleMessage;
  meta: EventMeta;
}

/** The event side of a running server: credentials, rules, and where received messages go. */
export interface EventsRuntime {
  credentials: readonly SenderAuth[];
  /** How Clair notifications are read back, when notifier origins are configured. */
  clair?: { options: ClairCallbackOptions; client: HttpClient };
  reactor: EventReactor;
  rules: RulesFiles;
  /** Where received messages go: `amqp` (queued durably before the sender is answered) or `local` workers. */
  readonly delivery: "amqp" | "local";
  /** Hands messages over; false when none was taken (local workers full): the sender should retry. */
  submit(items: readonly EventItem[]): Promise<boolean>;
  /** Processes messages now and waits for their outcomes (`?wait=true`). */
  processNow(items: readonly EventItem[]): Promise<ProcessResult[]>;
  /** Publishes a decision to the decisions exchange, when one is configured. */
  publishDecision(record: DecisionRecord): void;
  close(): Promise<void>;
}

/**
 * Sets up the event side of `cipolice serve` from its configuration: sender credentials (secrets read
 * now), rules files, the reactor (decisions first, then the rules), local workers, and, when `events.amqp`
 * is configured, a confirmed publisher to the event queue, a consumer of it, and the decisions exchange.
 */
export async function startEvents(config: ServeConfig, context: ServeContext): Promise<EventsRuntime> {
  const events = config.events;
  const io = { env: process.env, readFile: (path: string) => readFileSync(path, "utf8") };
  const credentials = events.auth.map((c) => resolveSenderAuth(c, io));
  const rules = new RulesFiles(
    events.rules,
    { allowUnknownActions: events.allowUnknownActions },
    context.logger,
  );
  const webhookSecret = readConfiguredSecret(
    { inline: events.webhooks.secret, env: events.webhooks.secretEnv, file: events.webhooks.secretFile },
    "the web hook signing secret",
    "events.webhooks",
  );
  const logger = context.logger;
  const run = async (actions: RuleAction[], message: RuleMessage, builtins: RuleBuiltins) => {
    const outcomes: ActionOutcome[] = [];
    // Relative targets resolve against their own rules file's folder: run each file's stretch on its own
    for (const group of byFile(actions)) {
      outcomes.push(
        ...(await runActions(group, message, {
          baseDir: dirname(resolve(group[0]?.at.file ?? ".")),
          timeoutMs: events.actionTimeoutSeconds * 1000,
          ...(webhookSecret !== undefined ? { webhookSecret } : {}),
          webhook: { retries: events.webhooks.retries, backoffMs: events.webhooks.backoffMs },
          builtins,
          onNotice: (notice) => logger.info({ notice }, "rule action notice"),
        })),
      );
    }
    return outcomes;
  };
  let decisions: DecisionPublisher | undefined;
  const reactor = new EventReactor({
    store: context.store,
    rules: () => rules.current,
    plan: planActions,
    run,
    ...(events.evaluate
      ? {
          assess: (image, assessContext, deadline) => context.assessor.assess(image, assessContext, deadline),
          recordDecision: (assessment) =>
            recordDecision(context, { origin: "event", allowed: assessment.outcome === "pass", assessment }),
        }
      : {}),
    log: {
      info: (text, fields) => logger.info(fields ?? {}, text),
      warn: (text, fields) => logger.warn(fields ?? {}, text),
    },
    now: context.now,
    assessTimeoutMs: 30_000,
  });
  const local = new WorkQueue({
    concurrency: events.workers,
    maxQueued: events.maxQueued,
    onError: (error) => logger.error({ err: String(error) }, "an event message could not be processed"),
  });
  const processLocally = (item: EventItem) => async () => {
    const result = await reactor.process(item.message, item.meta);
    logger.info(
      { messageId: item.meta.messageId, source: item.meta.source, state: result.state },
      "event processed",
    );
  };

  let publisher: Publisher | undefined;
  let consumer: EventConsumer | undefined;
  const amqp = events.amqp;
  if (amqp !== undefined) {
    const url = readConfiguredSecret(
      { inline: amqp.url, env: amqp.urlEnv, file: amqp.urlFile },
      "the broker URL",
      "events.amqp",
    ) as string;
    const { openPublisher, openDecisionPublisher } = await import("../../queue/amqp-publisher.js");
    publisher = await openPublisher({ url, queue: amqp.queue });
    if (amqp.decisionsExchange !== undefined)
      decisions = await openDecisionPublisher({ url, exchange: amqp.decisionsExchange });
    if (amqp.consume) {
      const { consumeEvents } = await import("../../queue/amqp-consumer.js");
      consumer = await consumeEvents({
        url,
        queue: amqp.queue,
        prefetch: amqp.prefetch,
        maxDeliveries: amqp.maxDeliveries,
        ledger: context.store,
        handle: async (message, meta) => {
          const reaction = await reactor.react(message, meta);
          return { outcomes: reaction.outcomes };
        },
        onLog: (level, text, fields) => logger[level](fields, text),
      });
    }
  }

  const clairPsk = credentials.find((c) => c.sender === "clair" && c.scheme === "jwt")?.secret;
  const clair =
    events.clair.origins.length === 0
      ? undefined
      : {
          options: {
            origins: events.clair.origins,
            ...(clairPsk !== undefined ? { psk: clairPsk } : {}),
            pageSize: events.clair.pageSize,
            maxPages: events.clair.maxPages,
            maxPageBytes: 16 * 1024 * 1024,
            timeoutMs: 30_000,
          },
          client: new HttpClient(),
        };

  return {
    credentials,
    ...(clair !== undefined ? { clair } : {}),
    reactor,
    rules,
    delivery: publisher === undefined ? "local" : "amqp",
    async submit(items) {
      if (publisher !== undefined) {
        // Answered only once the broker confirmed every message: a sender that hears 202 lost nothing
        for (const item of items) await publisher.publish(item.message, { messageId: item.meta.messageId });
        return true;
      }
      return local.offer(items.map(processLocally));
    },
    async processNow(items) {
      const results: ProcessResult[] = [];
      for (const item of items) results.push(await reactor.process(item.message, item.meta));
      return results;
    },
    publishDecision(record) {
      decisions?.publishDecision(record).catch((error: unknown) => {
        logger.warn({ err: String(error), decisionId: record.decisionId }, "cannot publish a decision");
      });
    },
    async close() {
      await consumer?.close();
      await local.drained();
      await publisher?.close();
      await decisions?.close();
      clair?.client.close();
    },
  };
}

/** Consecutive actions of the same rules file, in order. */
function byFile(actions: readonly RuleAction[]): RuleAction[][] {
  const groups: RuleAction[][] = [];
  for (const action of actions) {
    const last = groups.at(-1);
    if (last !== undefined && last[0]?.at.file === action.at.file) last.push(action);
    else groups.push([action]);
  }
  return groups;
}
