import { formatImageReference, parseImageReference } from "../image/image-reference.js";
import {
  CipError,
  type DecisionV1,
  type ImageFacts,
  type ImageRef,
  SEVERITIES,
  type Severity,
  type SigningFacts,
} from "../model/index.js";
import type { CompiledBundle, SelectorKeys } from "../policy/compile-bundle.js";
import { type DataKind, dataNeeds } from "../policy/data-needs.js";
import { referenceOnlyStop } from "../policy/reference-verdict.js";
import { type BundleKey, bundleSigningKeys } from "../policy/signing-keys.js";
import { checkImage } from "./check-image.js";
import { RuleVerdicts } from "./rule-verdicts.js";
import type { Store } from "./store-ports.js";
import { factsFromStoredReports } from "./stored-report-facts.js";
import { type CacheOutcome, type Entry, TtlCache } from "./ttl-cache.js";

/** What a question about one image is asked for: the context that selects mappings, and who asks. */
export interface AssessContext {
  namespace?: string;
  environment?: string;
  /** The namespace's labels, when known (admission: the serve configuration's, and the name label). */
  namespaceLabels?: Record<string, string>;
  /** The pod's annotations, when known (bounded by the route that read them). */
  annotations?: Record<string, string>;
  /** `admission`, `imagereview`, `api`, …: recorded with the decision. */
  origin: string;
}

/** The three outcomes of an image: the policy passed, failed, or could not be decided. */
export type Outcome = "pass" | "fail" | "unknown";

/** The answer about one image. */
export interface Assessment {
  /** The reference as asked. */
  image: string;
  digest?: string;
  outcome: Outcome;
  /** One decision per bundle; empty when the outcome is unknown before any evaluation. */
  decisions: DecisionV1[];
  /** Why the outcome is unknown (no scan data, stale data, registry or store unreachable, deadline). */
  reason?: string;
  /** How the decision cache answered. */
  cache: CacheOutcome;
  /** Vulnerabilities of the evaluated facts by severity, when vulnerability data was read. */
  findings?: Record<Severity, number>;
}

/** The bundles in force; a reload swaps them. */
export interface BundleSet {
  bundles: readonly CompiledBundle[];
  /** Changes whenever the bundles change (their digests joined), so cached decisions of old bundles miss. */
  key: string;
}

/** Settings of an ImageAssessor. */
export interface AssessorOptions {
  /** How long a pass or fail stays cached. */
  decisionTtlMs: number;
  /** How long an unknown outcome stays cached (short, so a fault that ends is noticed soon). */
  unknownTtlMs: number;
  maxEntries: number;
  /** How long a tag → digest resolution is trusted. */
  tagTtlMs: number;
  /** Scan data older than this many days is stale: the outcome is unknown. */
  reportMaxAgeDays?: number;
}

/** What an ImageAssessor needs from outside: the store, the registry, the clock. */
export interface AssessorDeps {
  store: Store;
  /** The manifest digest a reference points at (a registry HEAD). */
  resolveDigest(ref: ImageRef): Promise<string>;
  /** Facts read from the registry for a digest-pinned reference: config, history, layers. */
  readImageFacts(ref: ImageRef): Promise<ImageFacts>;
  now(): Date;
  /** Told of background failures (re-reading verdicts) that change no answer by themselves. */
  onWarning?(message: string, error: unknown): void;
  /**
   * The verification summaries attached to a digest that verify with a trusted key (absent: none are
   * trusted). A valid PASSED summary for every bundle in force, young enough, answers without evaluating.
   */
  trustedSummaries?(ref: ImageRef, digest: string): Promise<TrustedSummary[]>;
  /** Summaries older than this are not trusted. */
  summaryMaxAgeMs?: number;
  /**
   * The image's signatures and attestations verified against the configured keys and the bundles' own,
   * for `signature` and `attestation` rules. Absent: those rules have no data (a note says so).
   */
  readSigningFacts?(ref: ImageRef, digest: string, bundleKeys: readonly BundleKey[]): Promise<SigningFacts>;
}

/** A verification summary that verified with a trusted key. */
export interface TrustedSummary {
  keyName: string;
  policyDigest: string;
  policyName?: string;
  passed: boolean;
  /** RFC 3339, and epoch milliseconds. */
  time: string;
  timeMs: number;
}

const DAY_MS = 86_400_000;
const PAST_DEADLINE = "it was not decided before the deadline";

/**
 * Decides images for admission and the API: gathers only what the selected policies need (a bundle of
 * naming rules needs no lookup at all), caches decisions by digest, bundle, facts revision and context,
 * coalesces concurrent questions about the same image, and says "unknown" with the reason when it
 * cannot decide, so the caller's fail mode can act on it.
 */
export class ImageAssessor {
  readonly #deps: AssessorDeps;
  readonly #options: AssessorOptions;
  #bundles: BundleSet;
  /** The label and annotation keys the bundles select on; undefined when none (the usual case). */
  #selectorKeys: SelectorKeys | undefined;
  readonly #decisions: TtlCache<string, Assessment>;
  /** Answers by the question as asked (reference text and context), for repeated questions. */
  readonly #answers: TtlCache<string, Assessment>;
  readonly #digests: TtlCache<string, string>;
  readonly #revisions: TtlCache<string, number>;
  readonly #imageFacts: TtlCache<string, ImageFacts>;
  /** Trusted verification summaries by digest. */
  readonly #summaries: TtlCache<string, TrustedSummary[]>;
  /** Verified signatures and attestations by digest and bundle set. */
  readonly #signing: TtlCache<string, SigningFacts>;
  /** Verdicts rule actions set, by digest or reference, held in memory. */
  readonly #verdicts: RuleVerdicts;
  readonly #unsubscribe: () => void;

  constructor(bundles: BundleSet, deps: AssessorDeps, options: AssessorOptions) {
    this.#bundles = bundles;
    this.#selectorKeys = selectorKeysOf(bundles);
    this.#deps = deps;
    this.#options = options;
    this.#decisions = new TtlCache({
      maxEntries: options.maxEntries,
      ttlMs: (a) => (a.outcome === "unknown" ? options.unknownTtlMs : options.decisionTtlMs),
    });
    // A tag may move: an answer by tag lives no longer than the tag's resolution
    const answerTtl = Math.min(options.decisionTtlMs, options.tagTtlMs);
    this.#answers = new TtlCache({
      maxEntries: options.maxEntries,
      ttlMs: (a) => (a.outcome === "unknown" ? Math.min(options.unknownTtlMs, answerTtl) : answerTtl),
    });
    this.#digests = new TtlCache({ maxEntries: options.maxEntries, ttlMs: options.tagTtlMs });
    // Revisions change only through pushes, which notify every replica; the TTL is a safety net for lost notices
    this.#revisions = new TtlCache({ maxEntries: options.maxEntries, ttlMs: 30_000 });
    // A digest's config never changes
    this.#imageFacts = new TtlCache({ maxEntries: Math.min(options.maxEntries, 10_000), ttlMs: DAY_MS });
    // No summary yet is an answer that changes as soon as CI attests: kept as briefly as an unknown outcome
    this.#summaries = new TtlCache({
      maxEntries: options.maxEntries,
      ttlMs: (found) => (found.length === 0 ? options.unknownTtlMs : options.decisionTtlMs),
    });
    // An unsigned image may be signed any moment: kept as briefly as an unknown outcome
    this.#signing = new TtlCache({
      maxEntries: options.maxEntries,
      ttlMs: (found) =>
        found.signatures.some((e) => e.valid) || found.attestations.some((e) => e.valid)
          ? options.decisionTtlMs
          : options.unknownTtlMs,
    });
    this.#verdicts = new RuleVerdicts(deps.store, (error) =>
      deps.onWarning?.("cannot re-read rule verdicts", error),
    );
    this.#unsubscribe = deps.store.onReportsChanged((digest) => {
      this.invalidate(digest);
      // A new verdict announces its subject the same way: once re-read, what was decided without it goes too
      this.#verdicts.refresh(digest).then(() => this.invalidate(digest));
    });
  }

  /** The bundles in force. */
  get bundles(): BundleSet {
    return this.#bundles;
  }

  /** Puts new bundles in force; decisions of the old ones are no longer used. */
  setBundles(bundles: BundleSet): void {
    this.#bundles = bundles;
    this.#selectorKeys = selectorKeysOf(bundles);
    this.#decisions.clear();
    this.#answers.clear();
  }

  /** True when some bundle in force selects on namespace labels, so admission should look them up. */
  get readsNamespaceLabels(): boolean {
    return (this.#selectorKeys?.namespaceLabels.length ?? 0) > 0;
  }

  /** True when some bundle in force selects on pod annotations, so admission should read them. */
  get readsAnnotations(): boolean {
    return (this.#selectorKeys?.annotations.length ?? 0) > 0;
  }

  /** Forgets what is cached about a digest's reports (all digests when undefined). */
  invalidate(digest: string | undefined): void {
    // Which answers rest on the digest is not kept: pushes are rare next to questions, so all go
    this.#answers.clear();
    if (digest === undefined) {
      this.#revisions.clear();
      this.#decisions.clear();
      return;
    }
    this.#revisions.deleteWhere((key) => key === digest);
    // Built once, not once per cached key: every report push scans the whole decision cache
    const prefix = `${digest}|`;
    this.#decisions.deleteWhere((key) => key.startsWith(prefix));
  }

  /** Number of cached decisions (for the memory figure of the bench). */
  get cachedDecisions(): number {
    return this.#decisions.size;
  }

  /** The answer to a question asked before and still fresh, without waiting; undefined when there is none. */
  known(image: string, context: AssessContext): Assessment | undefined {
    return this.#answers.peek(answerKey(image, context, this.#selectorKeys));
  }

  /** As {@link known}, with the time (ms since the epoch) the answer stops being fresh. */
  knownEntry(image: string, context: AssessContext): Entry<Assessment> | undefined {
    return this.#answers.peekEntry(answerKey(image, context, this.#selectorKeys));
  }

  /**
   * Grows whenever answers already given may no longer hold (a push, a verdict, new bundles). Whoever keeps
   * an answer beyond {@link known} keeps it only while this stays the same and the answer is fresh.
   */
  get answersGeneration(): number {
    return this.#answers.generation;
  }

  /**
   * Decides one image in a context. Never throws for what the image or the outside world does: an image
   * that cannot be decided is an unknown outcome with its reason. Resolves by `deadline` at the latest.
   */
  async assess(image: string, context: AssessContext, deadline: number): Promise<Assessment> {
    // The same question asked again (most admission traffic) is answered without parsing or timers
    const frontKey = answerKey(image, context, this.#selectorKeys);
    const known = this.#answers.peek(frontKey);
    if (known !== undefined) return known;
    const generation = this.#answers.generation;
    const answer = await this.#assessAnew(image, context, deadline);
    // Not one past the deadline (the work goes on and fills the caches below), nor one a push made stale
    if (answer.reason !== PAST_DEADLINE && generation === this.#answers.generation) {
      this.#answers.set(frontKey, { ...answer, cache: "hit" });
    }
    return answer;
  }

  async #assessAnew(image: string, context: AssessContext, deadline: number): Promise<Assessment> {
    let ref: ImageRef;
    try {
      ref = parseImageReference(image);
    } catch (error) {
      return { image, outcome: "fail", decisions: [], reason: messageOf(error), cache: "miss" };
    }
    const work = this.#assessRef(image, ref, context);
    const left = deadline - Date.now();
    if (left <= 0) return this.#pastDeadline(image, ref);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<Assessment>((resolve) => {
      timer = setTimeout(() => resolve(this.#pastDeadline(image, ref)), left);
    });
    try {
      return await Promise.race([work, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Reads the verdicts rules put on images (once, at start); throws when the store cannot be read. */
  loadVerdicts(): Promise<void> {
    return this.#verdicts.load();
  }

  /** Stops listening to the store. */
  close(): void {
    this.#unsubscribe();
  }

  async #assessRef(image: string, ref: ImageRef, context: AssessContext): Promise<Assessment> {
    const { bundles, key: bundleKey } = this.#bundles;
    const needs = new Set<DataKind>();
    for (const bundle of bundles) for (const kind of dataNeeds(bundle, ref, context).kinds) needs.add(kind);
    const contextKey = `${context.namespace ?? ""}|${context.environment ?? ""}${selectorPart(context, this.#selectorKeys)}`;
    const reference = formatImageReference(ref);
    const byRule = this.#ruleVerdict(image, [ref.digest, reference]);
    if (byRule !== undefined) return byRule;
    if (!needs.has("config") && !needs.has("reports") && !needs.has("signatures")) {
      const key = `ref|${reference}|${bundleKey}|${contextKey}`;
      let cache: CacheOutcome = "miss";
      const assessment = await this.#decisions.get(
        key,
        async () => this.#evaluate(image, { ref, ...(ref.digest ? { digest: ref.digest } : {}) }, context),
        (o) => {
          cache = o;
        },
      );
      return { ...assessment, cache };
    }
    // Rules on the name alone may already deny: then no registry or store is asked
    let byNameCache: CacheOutcome = "miss";
    const byName = await this.#decisions.get(
      `ref|${reference}|${bundleKey}|${contextKey}|stop`,
      async () => this.#referenceStop(image, ref, context),
      (o) => {
        byNameCache = o;
      },
    );
    if (byName.outcome === "fail") return { ...byName, cache: byNameCache };
    let digest: string;
    try {
      digest = ref.digest ?? (await this.#digests.get(reference, () => this.#deps.resolveDigest(ref)));
    } catch (error) {
      return unknown(image, undefined, `cannot resolve its digest: ${messageOf(error)}`);
    }
    if (ref.digest === undefined) {
      const byDigest = this.#ruleVerdict(image, [digest], digest);
      if (byDigest !== undefined) return byDigest;
    }
    const trusted = await this.#trustedSummary(image, ref, digest);
    if (trusted !== undefined) return trusted;
    let revision = 0;
    if (needs.has("reports")) {
      try {
        revision = await this.#revisions.get(digest, () => this.#deps.store.reportRevision(digest));
      } catch (error) {
        return unknown(image, digest, `cannot read its reports: ${messageOf(error)}`);
      }
      if (revision === 0) {
        return unknown(image, digest, `no scan data is stored for ${digest}`);
      }
    }
    let signing: SigningFacts | undefined;
    if (needs.has("signatures") && this.#deps.readSigningFacts !== undefined) {
      const read = this.#deps.readSigningFacts;
      const bundleKeys = this.#bundles.bundles.flatMap((b) => bundleSigningKeys(b));
      try {
        signing = await this.#signing.get(`${digest}|${bundleKey}`, () =>
          read({ ...ref, digest }, digest, bundleKeys),
        );
      } catch (error) {
        return unknown(image, digest, `cannot read its signatures: ${messageOf(error)}`);
      }
    }
    // A signature added or removed changes the answer: the decision is cached per signing state
    const key = `${digest}|${revision}|${reference}|${bundleKey}|${contextKey}|${signingState(signing)}`;
    let cache: CacheOutcome = "miss";
    const assessment = await this.#decisions.get(
      key,
      () => this.#gatherAndEvaluate(image, ref, digest, needs, context, signing),
      (o) => {
        cache = o;
      },
    );
    return { ...assessment, cache };
  }

  async #gatherAndEvaluate(
    image: string,
    ref: ImageRef,
    digest: string,
    needs: ReadonlySet<DataKind>,
    context: AssessContext,
    signing: SigningFacts | undefined,
  ): Promise<Assessment> {
    const pinned: ImageRef = { ...ref, digest };
    let imageFacts: ImageFacts | undefined;
    if (needs.has("config")) {
      try {
        imageFacts = await this.#imageFacts.get(digest, () => this.#deps.readImageFacts(pinned));
      } catch (error) {
        return unknown(image, digest, `cannot read it from its registry: ${messageOf(error)}`);
      }
    }
    const withSigning = (facts: ImageFacts): ImageFacts =>
      signing === undefined ? facts : { ...facts, signing };
    if (!needs.has("reports")) {
      return this.#evaluate(image, withSigning(imageFacts ?? { ref: pinned, digest }), context);
    }
    let stored: Awaited<ReturnType<Store["listReports"]>>;
    try {
      stored = await this.#deps.store.listReports(digest);
    } catch (error) {
      return unknown(image, digest, `cannot read its reports: ${messageOf(error)}`);
    }
    if (stored.length === 0) return unknown(image, digest, `no scan data is stored for ${digest}`);
    const stale = this.#staleness(stored.map((r) => r.receivedAt));
    if (stale) return unknown(image, digest, stale);
    let facts: ImageFacts;
    try {
      facts = factsFromStoredReports(formatImageReference(pinned), stored, imageFacts).facts;
    } catch (error) {
      return unknown(image, digest, `its stored reports cannot be read: ${messageOf(error)}`);
    }
    return this.#evaluate(image, withSigning({ ...facts, ref: pinned, digest }), context);
  }

  /**
   * The answer a rule action's `accept` or `reject` put on the image (looked up by each subject in turn),
   * or undefined when none did.
   */
  #ruleVerdict(
    image: string,
    subjects: readonly (string | undefined)[],
    digest?: string,
  ): Assessment | undefined {
    for (const subject of subjects) {
      if (subject === undefined) continue;
      const verdict = this.#verdicts.get(subject);
      if (verdict === undefined) continue;
      const reason = `${verdict.verdict === "reject" ? "rejected" : "accepted"} by ${verdict.setBy} at ${verdict.setAt}: ${verdict.reason}`;
      return {
        image,
        ...(digest ? { digest } : {}),
        outcome: verdict.verdict === "reject" ? "fail" : "pass",
        decisions: [],
        reason,
        cache: "miss",
      };
    }
    return undefined;
  }

  /**
   * A pass from signed verification summaries: one PASSED summary per bundle in force, for that bundle's
   * digest, verified with a trusted key and younger than the configured age. A failed summary, one for
   * another bundle, or none, answers nothing: the image is evaluated as usual. A registry that cannot be read
   * answers nothing either.
   */
  async #trustedSummary(image: string, ref: ImageRef, digest: string): Promise<Assessment | undefined> {
    const read = this.#deps.trustedSummaries;
    if (read === undefined) return undefined;
    let summaries: TrustedSummary[];
    try {
      summaries = await this.#summaries.get(digest, () => read({ ...ref, digest }, digest));
    } catch (error) {
      this.#deps.onWarning?.(`cannot read the verification summaries of ${digest}`, error);
      return undefined;
    }
    const now = this.#deps.now().getTime();
    const maxAge = this.#deps.summaryMaxAgeMs ?? Number.POSITIVE_INFINITY;
    const used: TrustedSummary[] = [];
    for (const bundle of this.#bundles.bundles) {
      const found = summaries.find(
        (s) =>
          s.passed &&
          s.policyDigest === bundle.digest &&
          now - s.timeMs <= maxAge &&
          s.timeMs <= now + 60_000,
      );
      if (found === undefined) return undefined;
      used.push(found);
    }
    if (used.length === 0) return undefined;
    const said = used
      .map((s) => `${s.policyName ?? s.policyDigest} PASSED at ${s.time}, signed by ${s.keyName}`)
      .join("; ");
    return {
      image,
      digest,
      outcome: "pass",
      decisions: [],
      reason: `trusted verification summary (not evaluated again): ${said}`,
      cache: "miss",
    };
  }

  #referenceStop(image: string, ref: ImageRef, context: AssessContext): Assessment {
    const fromName = this.#evaluate(image, { ref, ...(ref.digest ? { digest: ref.digest } : {}) }, context);
    const stops = this.#bundles.bundles.flatMap((bundle, i) => {
      const decision = fromName.decisions[i];
      const stop = decision ? referenceOnlyStop(bundle, decision) : undefined;
      return stop ? [stop] : [];
    });
    if (stops.length === 0) return { ...fromName, outcome: "pass", decisions: [] };
    return { ...fromName, outcome: "fail", decisions: stops };
  }

  #evaluate(image: string, facts: ImageFacts, context: AssessContext): Assessment {
    const now = this.#deps.now();
    const decisions = this.#bundles.bundles.map((bundle) =>
      checkImage(bundle, facts, {
        now,
        ...(context.namespace !== undefined ? { namespace: context.namespace } : {}),
        ...(context.environment !== undefined ? { environment: context.environment } : {}),
        ...(context.namespaceLabels !== undefined ? { namespaceLabels: context.namespaceLabels } : {}),
        ...(context.annotations !== undefined ? { annotations: context.annotations } : {}),
      }),
    );
    const failed = decisions.some((d) => d.status === "fail");
    return {
      image,
      ...(facts.digest ? { digest: facts.digest } : {}),
      outcome: failed ? "fail" : "pass",
      decisions,
      cache: "miss",
      ...(facts.vulnerabilities !== undefined ? { findings: countBySeverity(facts.vulnerabilities) } : {}),
    };
  }

  #staleness(receivedAt: string[]): string | undefined {
    const maxAge = this.#options.reportMaxAgeDays;
    if (maxAge === undefined) return undefined;
    const newest = Math.max(...receivedAt.map((t) => Date.parse(t)).filter(Number.isFinite));
    const ageDays = (this.#deps.now().getTime() - newest) / DAY_MS;
    if (ageDays <= maxAge) return undefined;
    return `its newest scan data is ${Math.floor(ageDays)} days old (older than ${maxAge} days counts as stale)`;
  }

  #pastDeadline(image: string, ref: ImageRef): Assessment {
    return unknown(image, ref.digest, PAST_DEADLINE);
  }
}

function countBySeverity(vulnerabilities: readonly { severity: Severity }[]): Record<Severity, number> {
  const counts = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  for (const v of vulnerabilities) counts[v.severity]++;
  return counts;
}

/** A short text that changes whenever the verified signatures or attestations change. */
function signingState(signing: SigningFacts | undefined): string {
  if (signing === undefined) return "";
  const entry = (e: SigningFacts["signatures"][number]) =>
    `${e.layer}:${e.valid ? (e.keyFingerprint ?? "") : "x"}:${e.summary?.time ?? ""}`;
  return `${signing.signatures.map(entry).join(",")}/${signing.attestations.map(entry).join(",")}`;
}

function answerKey(image: string, context: AssessContext, keys: SelectorKeys | undefined): string {
  const key = `${image}\u0000${context.namespace ?? ""}\u0000${context.environment ?? ""}`;
  return keys === undefined ? key : key + selectorPart(context, keys);
}

/** The label and annotation keys any bundle of the set selects on, or undefined when there are none. */
function selectorKeysOf(set: BundleSet): SelectorKeys | undefined {
  const labels = new Set(set.bundles.flatMap((b) => b.selectorKeys.namespaceLabels));
  const annotations = new Set(set.bundles.flatMap((b) => b.selectorKeys.annotations));
  if (labels.size === 0 && annotations.size === 0) return undefined;
  return { namespaceLabels: [...labels].sort(), annotations: [...annotations].sort() };
}

/**
 * The context's values of just the keys the bundles select on, for cache keys: contexts that differ only in
 * labels or annotations no selector reads share their decisions. Each value carries its length, so no value
 * can pass for another key's; an absent key is `!` (a present empty value can match where an absent one cannot).
 */
function selectorPart(context: AssessContext, keys: SelectorKeys | undefined): string {
  if (keys === undefined) return "";
  let part = "\u0000L";
  for (const key of keys.namespaceLabels) part += valuePart(context.namespaceLabels, key);
  part += "\u0000A";
  for (const key of keys.annotations) part += valuePart(context.annotations, key);
  return part;
}

function valuePart(values: Readonly<Record<string, string>> | undefined, key: string): string {
  if (values === undefined || !Object.hasOwn(values, key)) return "!";
  const value = values[key] as string;
  return `${value.length}:${value}`;
}

function unknown(image: string, digest: string | undefined, reason: string): Assessment {
  return { image, ...(digest ? { digest } : {}), outcome: "unknown", decisions: [], reason, cache: "miss" };
}

function messageOf(error: unknown): string {
  if (error instanceof CipError) return error.message;
  return error instanceof Error ? error.message : String(error);
}
