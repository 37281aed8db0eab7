import { randomUUID } from "node:crypto";
import type { DecisionV1 } from "../model/index.js";
import type { AdmissionSettings } from "../service/admit-images.js";
import type { Assessment, ImageAssessor } from "../service/assess-image.js";
import type { DecisionRecord, Store } from "../service/store-ports.js";
import type { DecisionLog } from "./decision-log.js";
import type { ServerLogger } from "./logger.js";
import type { ServerMetrics } from "./metrics.js";
import type { PolicyFiles } from "./policy-files.js";

/** What every route group of `cipolice serve` works with: made once at start, shared by all requests. */
export interface ServeContext {
  assessor: ImageAssessor;
  store: Store;
  policies: PolicyFiles;
  admission: AdmissionSettings & { deadlineMs: number };
  limits: { admissionBodyBytes: number; reportBodyBytes: number };
  decisionLog: DecisionLog | undefined;
  metrics: ServerMetrics;
  logger: ServerLogger;
  now(): Date;
  /** Called with each decision stored (the events' decisions exchange, when configured). */
  onDecisionStored?(record: DecisionRecord): void;
  /** Evaluates again the images known under a digest whose reports changed. */
  reevaluator?: { digestChanged(digest: string): void };
}

/** What the decision log and store get for one answered image. */
export interface DecisionEvent {
  origin: string;
  /** The request uid (AdmissionReview) or id, when there is one. */
  requestId?: string;
  namespace?: string;
  allowed: boolean;
  failMode?: string;
  assessment: Assessment;
}

/**
 * Records one image's answer: counted in metrics, written to the decision log, and kept in the store when
 * it was made now (a cache hit is the same decision again). Never throws and never waits.
 */
export function recordDecision(context: ServeContext, event: DecisionEvent): void {
  if (countDecision(context, event.origin, event.assessment)) logDecision(context, event);
}

/**
 * Counts one image's answer in metrics. True when it also has to be logged or stored (with logDecision):
 * false for a cache hit with no decision log, most admission traffic, whose caller need not make the event.
 */
export function countDecision(context: ServeContext, origin: string, assessment: Assessment): boolean {
  context.metrics.decision(origin, assessment.outcome);
  context.metrics.cache(assessment.cache);
  return context.decisionLog !== undefined || assessment.cache === "miss";
}

/** The rest of recordDecision, after countDecision said it is needed: the decision log and the store. */
export function logDecision(context: ServeContext, event: DecisionEvent): void {
  const { assessment } = event;
  const decidedAt = context.now().toISOString();
  context.decisionLog?.write({
    time: decidedAt,
    origin: event.origin,
    ...(event.requestId ? { requestId: event.requestId } : {}),
    ...(event.namespace ? { namespace: event.namespace } : {}),
    image: assessment.image,
    ...(assessment.digest ? { digest: assessment.digest } : {}),
    outcome: assessment.outcome,
    allowed: event.allowed,
    ...(event.failMode ? { failMode: event.failMode } : {}),
    ...(assessment.reason ? { reason: assessment.reason } : {}),
    cache: assessment.cache,
    decisions: assessment.decisions.map((d) => ({
      decisionId: d.decisionId,
      bundle: d.bundle,
      finalAction: d.finalAction,
      status: d.status,
      stops: d.results.filter((r) => r.effectiveAction === "stop").length,
      warns: d.results.filter((r) => r.effectiveAction === "warn").length,
    })),
  });
  if (assessment.cache !== "miss") return;
  // One record per bundle decision (each its own id and rows); one without a decision when none was reached
  const decisions: (DecisionV1 | undefined)[] =
    assessment.decisions.length > 0 ? assessment.decisions : [undefined];
  for (const decision of decisions) {
    const record: DecisionRecord = {
      decisionId: decision?.decisionId ?? `unknown-${randomUUID()}`,
      image: assessment.image,
      ...(assessment.digest ? { digest: assessment.digest } : {}),
      outcome: assessment.outcome,
      origin: event.origin,
      ...(event.namespace ? { namespace: event.namespace } : {}),
      decidedAt,
      ...(decision ? { decision } : {}),
      ...(assessment.reason ? { reason: assessment.reason } : {}),
    };
    context.onDecisionStored?.(record);
    context.store.recordDecision(record).catch((error: unknown) => {
      context.metrics.storeError();
      context.logger.warn({ err: String(error) }, "cannot record a decision in the store");
    });
  }
}
