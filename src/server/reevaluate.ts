import { withNamespaceLabels } from "../service/namespace-labels.js";
import { knownImages } from "../service/preview-policy.js";
import type { DecisionRecord } from "../service/store-ports.js";
import { recordDecision, type ServeContext } from "./serve-context.js";

/** The origin re-evaluated decisions are recorded with. */
export const REEVALUATION_ORIGIN = "reevaluation";

/** How far one re-evaluation goes. */
export interface ReevaluationOptions {
  /** A full pass over every known image this often (vulnerability data ages); 0 turns it off. */
  intervalMs: number;
  /** At most this many images per full pass (the newest first). */
  maxImages: number;
  /** Each image's evaluation deadline. */
  deadlineMs: number;
}

/**
 * Evaluates again the images known to run (the monitor) or to have been admitted (admission) when what their
 * decision rests on changes: a report pushed for their digest, the bundles reloaded, and, every interval, all
 * of them (scan data ages and allowlist items expire). Each new decision is recorded (store, decision log,
 * the decisions exchange) with origin `reevaluation`; an image that passed and now fails is logged as a
 * warning. Work runs in the background, one image at a time, and never fails a request.
 */
export class Reevaluator {
  readonly #context: ServeContext;
  readonly #options: ReevaluationOptions;
  #timer: NodeJS.Timeout | undefined;
  #queue: Promise<void> = Promise.resolve();
  #stopped = false;

  constructor(context: ServeContext, options: ReevaluationOptions) {
    this.#context = context;
    this.#options = options;
  }

  /** Starts the periodic full pass. */
  start(): void {
    if (this.#options.intervalMs <= 0) return;
    this.#timer = setInterval(() => this.everything("interval"), this.#options.intervalMs);
    this.#timer.unref();
  }

  /** Stops the periodic pass and waits for the work under way. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    await this.#queue;
  }

  /** A report arrived for a digest: its known images are evaluated again. */
  digestChanged(digest: string): void {
    this.#enqueue(async () => {
      const decisions = await this.#context.store.listDecisions({ digest, limit: 50 });
      await this.#reassess(latestPerQuestion(decisions), `a report for ${digest} arrived`);
    });
  }

  /** The bundles changed, or the interval passed: every known image is evaluated again. */
  everything(why: "bundles" | "interval"): void {
    this.#enqueue(async () => {
      const known = await knownImages(this.#context.store, this.#options.maxImages);
      const questions = known.map((k) => ({
        image: k.digest !== undefined && !k.image.includes("@") ? `${k.image}@${k.digest}` : k.image,
        ...(k.namespace !== undefined ? { namespace: k.namespace } : {}),
      }));
      await this.#reassess(
        questions,
        why === "bundles" ? "the bundles changed" : "the periodic re-evaluation",
      );
    });
  }

  #enqueue(work: () => Promise<void>): void {
    if (this.#stopped) return;
    this.#queue = this.#queue.then(work).catch((error: unknown) => {
      this.#context.logger.warn(
        { err: String(error) },
        "re-evaluation failed; it runs again on the next change",
      );
    });
  }

  async #reassess(
    questions: { image: string; namespace?: string; previous?: string }[],
    why: string,
  ): Promise<void> {
    for (const question of questions) {
      if (this.#stopped) return;
      // Labels come from the configuration as at admission; the pod's annotations are not recorded, so unknown
      const context = withNamespaceLabels(
        {
          origin: REEVALUATION_ORIGIN,
          ...(question.namespace !== undefined ? { namespace: question.namespace } : {}),
        },
        this.#context.admission.namespaceLabels,
        this.#context.assessor.readsNamespaceLabels,
      );
      const assessment = await this.#context.assessor.assess(
        question.image,
        context,
        Date.now() + this.#options.deadlineMs,
      );
      recordDecision(this.#context, {
        origin: REEVALUATION_ORIGIN,
        ...(question.namespace !== undefined ? { namespace: question.namespace } : {}),
        allowed: assessment.outcome !== "fail",
        assessment,
      });
      if (question.previous === "pass" && assessment.outcome === "fail") {
        this.#context.logger.warn(
          { image: question.image, digest: assessment.digest, namespace: question.namespace, why },
          "re-evaluated: an image that passed is now denied",
        );
      }
    }
  }
}

/** The newest decision of each (image, namespace) among those of real questions (not re-evaluations' own). */
function latestPerQuestion(
  decisions: readonly DecisionRecord[],
): { image: string; namespace?: string; previous: string }[] {
  const seen = new Map<string, { image: string; namespace?: string; previous: string }>();
  for (const d of decisions) {
    const key = `${d.image}\u0000${d.namespace ?? ""}`;
    if (seen.has(key)) continue;
    // Pinned to the digest the decision was about: a tag may have moved, and a local image has no registry to ask
    const image = d.digest !== undefined && !d.image.includes("@") ? `${d.image}@${d.digest}` : d.image;
    seen.set(key, {
      image,
      ...(d.namespace !== undefined ? { namespace: d.namespace } : {}),
      previous: d.outcome,
    });
  }
  return [...seen.values()];
}
