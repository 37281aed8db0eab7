import type { ActionOutcome, RuleAction, RuleMessage, RuleSet } from "../rules/rule-types.js";
import type { AssessContext, Assessment } from "./assess-image.js";
import { decisionSummary } from "./decision-summary.js";
import type { ActionRecord, EventStore, ImageVerdict, ReportStore, VerdictStore } from "./store-ports.js";

/** What `accept` and `reject` do, and what `log` writes to: given by the entry point. */
export interface RuleBuiltins {
  accept(image: string, message: RuleMessage): Promise<void>;
  reject(image: string, message: RuleMessage): Promise<void>;
  log(text: string): void;
}

/** What an EventReactor needs from outside. */
export interface EventReactorDeps {
  store: EventStore & VerdictStore & Pick<ReportStore, "putReports">;
  /** The rules in force (a reload swaps them). */
  rules(): RuleSet;
  /** Plans the actions of the rules for one message (pure). */
  plan(rules: RuleSet, message: RuleMessage): { actions: RuleAction[]; notices: string[] };
  /** Runs planned actions in order; never throws for what an action does. */
  run(actions: RuleAction[], message: RuleMessage, builtins: RuleBuiltins): Promise<ActionOutcome[]>;
  /** Decides the message's image with the policy; absent when no bundle is in force. */
  assess?(image: string, context: AssessContext, deadline: number): Promise<Assessment>;
  /** Records a decision made for an event (store, decision log, metrics). */
  recordDecision?(assessment: Assessment): void;
  log: {
    info(text: string, fields?: Record<string, unknown>): void;
    warn(text: string, fields?: Record<string, unknown>): void;
  };
  now(): Date;
  /** How long the evaluation of one message's image may take. */
  assessTimeoutMs: number;
}

/** Where a message came from and how it is known, for the ledger and the records. */
export interface EventMeta {
  messageId: string;
  /** `amqp:QUEUE`, `http:harbor`, `test`, … */
  source: string;
}

/** What the rules did with one message. */
export interface Reaction {
  /** The message as the rules saw it: the decision about its image added. */
  message: RuleMessage;
  outcomes: ActionRecord[];
  notices: string[];
}

/** How a message offered to the ledger ended. */
export type ProcessResult =
  | ({ state: "done" } & Reaction)
  /** The message id was processed before: nothing ran. */
  | { state: "duplicate" }
  /** Another worker holds it now: try again later. */
  | { state: "busy" };

/** How long a claim holds before another worker may take the message over (its worker presumed gone). */
export const EVENT_LEASE_MS = 10 * 60_000;

/**
 * Reacts to event messages as CIPolicE's rules did: for a message that names an image, the policy decides
 * it first (the decision is stored, so admission finds it ready, and put into the message as `decision`);
 * then the rules run in file order, and every action's outcome is kept. `accept` and `reject` set a
 * verdict on the image that admission honours.
 */
export class EventReactor {
  constructor(private readonly deps: EventReactorDeps) {}

  /**
   * Processes one message exactly once by its id: claimed in the ledger, reacted to, and finished with its
   * outcomes. A message id already finished is a duplicate and runs nothing.
   */
  async process(message: RuleMessage, meta: EventMeta): Promise<ProcessResult> {
    const claim = await this.deps.store.claimEvent(
      meta.messageId,
      meta.source,
      this.deps.now(),
      EVENT_LEASE_MS,
    );
    if (claim === "done") return { state: "duplicate" };
    if (claim === "busy") return { state: "busy" };
    // A throw leaves the claim unfinished: it lapses after the lease and the message can be offered again
    const reaction = await this.react(message, meta);
    await this.deps.store.finishEvent(
      meta.messageId,
      { state: "done", message: reaction.message, outcomes: reaction.outcomes },
      this.deps.now(),
    );
    return { state: "done", ...reaction };
  }

  /** Records a message that will never be processed (unreadable, redelivered too often), with why. */
  async deadLetter(meta: EventMeta, reason: string, message?: RuleMessage): Promise<void> {
    const now = this.deps.now();
    await this.deps.store.claimEvent(meta.messageId, meta.source, now, 0);
    await this.deps.store.finishEvent(
      meta.messageId,
      { state: "dead_lettered", outcomes: [], reason, ...(message ? { message } : {}) },
      now,
    );
  }

  /** Runs the rules on one message (no ledger): the decision first, then the actions in order. */
  async react(message: RuleMessage, meta: EventMeta): Promise<Reaction> {
    const withDecision = await this.#withDecision(message, meta);
    const { actions, notices } = this.deps.plan(this.deps.rules(), withDecision);
    for (const notice of notices) this.deps.log.info(notice, { messageId: meta.messageId });
    const outcomes = await this.deps.run(actions, withDecision, this.#builtins(meta));
    const records = outcomes.map(actionRecord);
    for (const record of records) {
      const fields = { messageId: meta.messageId, source: meta.source, ...record };
      if (record.status === "ok") this.deps.log.info(`action ${record.action} (${record.at}) ran`, fields);
      else
        this.deps.log.warn(
          `action ${record.action} (${record.at}) ${record.status.replace("_", " ")}`,
          fields,
        );
    }
    return { message: withDecision, outcomes: records, notices };
  }

  async #withDecision(message: RuleMessage, meta: EventMeta): Promise<RuleMessage> {
    const image = message.image;
    if (this.deps.assess === undefined || typeof image !== "string" || image === "" || "decision" in message)
      return message;
    // The event names the exact manifest: decide that one (a registry notifies of a push before the tag
    // moves to it, and the tag may have moved on since)
    const digest = message.digest;
    const pinned =
      typeof digest === "string" && /^sha256:[a-f0-9]{64}$/.test(digest) && !image.includes("@")
        ? `${image}@${digest}`
        : image;
    const assessment = await this.deps.assess(
      pinned,
      { origin: "event", ...(typeof message.namespace === "string" ? { namespace: message.namespace } : {}) },
      Date.now() + this.deps.assessTimeoutMs,
    );
    if (assessment.cache === "miss") this.deps.recordDecision?.(assessment);
    this.deps.log.info(`decided ${image} for event ${meta.messageId}: ${assessment.outcome}`, {
      messageId: meta.messageId,
    });
    return { ...message, decision: decisionSummary(assessment) };
  }

  #builtins(meta: EventMeta): RuleBuiltins {
    const verdict = async (kind: ImageVerdict["verdict"], image: string, message: RuleMessage) => {
      const subject = subjectOf(image, message);
      const now = this.deps.now();
      await this.deps.store.putVerdict({
        subject,
        verdict: kind,
        reason: reasonOf(message),
        setBy: `a rule (message ${meta.messageId} from ${meta.source})`,
        setAt: now.toISOString(),
      });
      // A new revision of the subject tells every replica's decision cache (LISTEN/NOTIFY) to drop it
      await this.deps.store.putReports(subject, [], now);
    };
    return {
      accept: (image, message) => verdict("accept", image, message),
      reject: (image, message) => verdict("reject", image, message),
      log: (text) => this.deps.log.info(text, { messageId: meta.messageId, source: meta.source }),
    };
  }
}

/** The digest a verdict is kept under when the message knows it, else the image reference as written. */
function subjectOf(image: string, message: RuleMessage): string {
  if (typeof message.digest === "string" && message.digest.startsWith("sha256:")) return message.digest;
  const decision = message.decision as { digest?: unknown } | undefined;
  if (typeof decision?.digest === "string") return decision.digest;
  const at = image.indexOf("@sha256:");
  return at >= 0 ? image.slice(at + 1) : image;
}

function reasonOf(message: RuleMessage): string {
  for (const key of ["reason", "cve", "event"]) {
    const value = message[key];
    if (typeof value === "string" && value !== "") return `${key} ${value}`.slice(0, 500);
  }
  return "a rule matched its message";
}

/** An executor outcome as the store keeps it. */
export function actionRecord(outcome: ActionOutcome): ActionRecord {
  const { action } = outcome;
  return {
    action: action.text,
    at: `${action.at.file}:${action.at.line}`,
    status: outcome.status,
    ...(outcome.output !== undefined ? { output: outcome.output } : {}),
    ...(outcome.error !== undefined ? { error: outcome.error } : {}),
    startedAt: outcome.startedAt,
    durationMs: outcome.durationMs,
  };
}
