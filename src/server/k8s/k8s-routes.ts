import type { ImageVerdict } from "../../service/admission-verdict.js";
import { type AdmissionResult, admissionPastDeadline, admitImages } from "../../service/admit-images.js";
import type { Assessment } from "../../service/assess-image.js";
import type { ParsedRequest } from "../request.js";
import type { Routes } from "../router.js";
import { countDecision, logDecision, recordDecision, type ServeContext } from "../serve-context.js";
import {
  type AdmissionAnswer,
  type AdmissionRequestImages,
  type AdmissionReviewResponse,
  admissionResponse,
  parseAdmissionReview,
} from "./admission-review.js";
import { imageReviewResponse, parseImageReview } from "./image-review.js";
import { ADMISSION_PATH, IMAGE_REVIEW_PATH } from "./paths.js";
import { RepeatedReviews } from "./repeated-reviews.js";

// The assessor answers this long before the route's deadline, so its answer (not the fallback) is the usual one
const ASSESS_MARGIN_MS = 100;
// Distinct admission answers remembered (a few per image and namespace in use); the oldest go first
const ANSWER_MEMO_ENTRIES = 1000;
// AdmissionReviews remembered by their bytes (a copy each, so bounded in count and size)
const REPEATED_REVIEWS = 512;
const REPEATED_REVIEW_BYTES = 32 * 1024;
const JSON_TYPE = "application/json";
const NO_ANNOTATIONS: Readonly<Record<string, string>> = Object.freeze({});

/** What the deadline fallback needs from a request whose body was already read (its fallbackState). */
interface PendingReview {
  references: string[];
  namespace: string;
  respond: (r: AdmissionResult) => unknown;
}

/**
 * The Kubernetes routes: the validating admission webhook and the ImagePolicyWebhook backend. Neither takes
 * a bearer token (the API server authenticates the webhook by TLS); both answer within the admission deadline,
 * with the namespace's fail mode when no decision is ready.
 */
export function registerK8sRoutes(context: ServeContext): (routes: Routes) => void {
  const { deadlineMs } = context.admission;
  const routeOptions = {
    auth: false,
    deadlineMs,
    bodyLimitBytes: context.limits.admissionBodyBytes,
  };
  const answerFor = admissionAnswerMemo(ANSWER_MEMO_ENTRIES);
  const repeats = new RepeatedReviews<ReviewMemo>({
    maxEntries: REPEATED_REVIEWS,
    maxBodyBytes: REPEATED_REVIEW_BYTES,
  });
  // A review read before, unless bundles started selecting on annotations since (it must be read again then)
  const repeatOf = (body: Buffer) => {
    const repeat = repeats.find(body);
    return repeat?.value.readAnnotations === context.assessor.readsAnnotations ? repeat : undefined;
  };
  // Pods whose annotations exceed the bounds keep coming once one does: said once, not per request
  let ignoredLogged = false;
  // Takes the request, not its logger: the logger is made on first use, which the usual request never needs
  const noteIgnored = (req: ParsedRequest, ignored: string | undefined) => {
    if (ignored === undefined || ignoredLogged) return;
    ignoredLogged = true;
    req.log.warn({ ignored }, "pod annotations beyond the bounds are not used by selectors (logged once)");
  };
  return (routes) => {
    const admissionPath = ADMISSION_PATH.slice("/k8s".length);
    const imageReviewPath = IMAGE_REVIEW_PATH.slice("/k8s".length);
    routes.post(
      admissionPath,
      async (req, res) => {
        const started = Date.now();
        const body = await req.body();
        const readAnnotations = context.assessor.readsAnnotations;
        const repeat = repeatOf(body);
        let review: AdmissionRequestImages;
        let memo: ReviewMemo | undefined;
        if (repeat !== undefined) {
          // Read before: only its answer has to be found again
          memo = repeat.value;
          review = { ...memo.review, uid: repeat.uid };
        } else {
          // The review is read at fixed paths only, never walked, so deep nesting elsewhere in it is harmless
          review = parseAdmissionReview(await req.json({ walk: false }), { readAnnotations });
          if (review.inspected) {
            memo = { review, readAnnotations, answered: undefined };
            repeats.observe(body, review.uid, memo, requestUid);
          }
        }
        if (!review.inspected) {
          req.log.info(
            { uid: review.uid, kind: review.kind.kind, skipped: review.skipped },
            "admission request allowed without inspection",
          );
          res.json(200, admissionResponse(review, { allowed: true }));
          return;
        }
        const respond = (result: AdmissionResult) => {
          answerAdmission(context, review.uid, review.namespace, result);
          const text = answerFor(review, result);
          if (memo !== undefined && result.fresh !== undefined && text !== undefined) {
            memo.answered = { ...result.fresh, result, text };
          }
          return text === undefined
            ? JSON.stringify(admissionResponse(review, answerOf(result)))
            : `${text.before}${JSON.stringify(review.uid)}${text.after}`;
        };
        req.fallbackState = {
          references: review.references,
          namespace: review.namespace,
          respond,
        } satisfies PendingReview;
        noteIgnored(req, review.annotationsIgnored);
        const result = await admitImages(
          context.assessor,
          review.references,
          {
            origin: "admission",
            ...(review.namespace ? { namespace: review.namespace } : {}),
            // A pod without annotations has an empty map: known, unlike a CI run's
            annotations: review.annotations ?? NO_ANNOTATIONS,
          },
          context.admission,
          started + deadlineMs - ASSESS_MARGIN_MS,
        );
        res.send(200, respond(result), JSON_TYPE);
      },
      {
        ...routeOptions,
        name: "k8s-admission",
        // The same review as before, answered from the same known answers still fresh: the same answer with
        // this request's uid, straight from the bytes
        answerFromBody: (_req, res, body) => {
          const repeat = repeatOf(body);
          const answered = repeat?.value.answered;
          if (
            repeat === undefined ||
            answered === undefined ||
            answered.generation !== context.assessor.answersGeneration ||
            Date.now() >= answered.freshUntil
          ) {
            return false;
          }
          answerAdmission(context, repeat.uid, repeat.value.review.namespace, answered.result);
          res.send(200, answerBytes(answered.text, repeat.uid), JSON_TYPE);
          return true;
        },
        onDeadline: (req, res) => {
          const known = req.fallbackState as PendingReview | undefined;
          if (!known) return;
          const late = admissionPastDeadline(
            known.references,
            known.namespace || undefined,
            context.admission,
          );
          res.send(200, known.respond(late) as string, JSON_TYPE);
        },
      },
    );
    routes.post(
      imageReviewPath,
      async (req, res) => {
        const started = Date.now();
        const review = parseImageReview(await req.json({ walk: false }));
        const respond = (result: AdmissionResult) => {
          for (const [i, assessment] of result.assessments.entries()) {
            recordDecision(context, {
              origin: "imagereview",
              ...(review.namespace ? { namespace: review.namespace } : {}),
              allowed: result.verdicts[i]?.allowed ?? false,
              failMode: result.mode,
              assessment,
            });
          }
          const { allowed, message, warnings } = result.verdict;
          // ImageReview has no warnings: an allowed image's warnings go to the audit log instead
          return imageReviewResponse({
            allowed,
            ...(message ? { reason: message } : {}),
            ...(warnings.length > 0
              ? { auditAnnotations: { warnings: warnings.join("; ").slice(0, 4096) } }
              : {}),
          });
        };
        req.fallbackState = {
          references: review.images,
          namespace: review.namespace,
          respond,
        } satisfies PendingReview;
        noteIgnored(req, review.annotationsIgnored);
        const result = await admitImages(
          context.assessor,
          review.images,
          {
            origin: "imagereview",
            ...(review.namespace ? { namespace: review.namespace } : {}),
            annotations: review.annotations,
          },
          context.admission,
          started + deadlineMs - ASSESS_MARGIN_MS,
        );
        res.json(200, respond(result));
      },
      {
        ...routeOptions,
        name: "k8s-imagereview",
        onDeadline: (req, res) => {
          const known = req.fallbackState as PendingReview | undefined;
          if (!known) return;
          res.json(
            200,
            known.respond(
              admissionPastDeadline(known.references, known.namespace || undefined, context.admission),
            ),
          );
        },
      },
    );
  };
}

function answerAdmission(
  context: ServeContext,
  uid: string,
  namespace: string,
  result: AdmissionResult,
): void {
  const { assessments } = result;
  for (let i = 0; i < assessments.length; i++) {
    const assessment = assessments[i] as Assessment;
    // A cache hit without a decision log is only counted: no event made for it
    if (!countDecision(context, "admission", assessment)) continue;
    logDecision(context, {
      origin: "admission",
      requestId: uid,
      ...(namespace ? { namespace } : {}),
      allowed: result.verdicts[i]?.allowed ?? false,
      failMode: result.mode,
      assessment,
    });
  }
}

/**
 * admissionResponse with its answers remembered as JSON text: a cached decision gives the same verdict on
 * every request, and cleaning, bounding and serializing its text cost more than the rest of a cached answer.
 * Only the request's uid differs between answers to the same verdict; it is spliced into the text.
 */
function admissionAnswerMemo(
  maxEntries: number,
): (review: AdmissionRequestImages, result: AdmissionResult) => AnswerText | undefined {
  const byText = new Map<string, AnswerText>();
  // One image's verdict is one object while its decision is cached: no key text to build
  const byVerdict = new WeakMap<ImageVerdict, Partial<Record<string, AnswerText>>>();
  return (review, result) => {
    // An empty uid is refused by admissionResponse: the caller lets it say so
    if (review.uid === "") return undefined;
    const { allowed, message, warnings } = result.verdict;
    const only = result.verdicts.length === 1 ? result.verdicts[0] : undefined;
    let known: AnswerText | undefined;
    let key = "";
    if (only !== undefined) {
      known = byVerdict.get(only)?.[review.apiVersion];
    } else {
      // Each part with its length, so that no two verdicts share a key whatever their text holds
      key = `${review.apiVersion}|${allowed}|${message?.length ?? -1}:${message ?? ""}`;
      for (const warning of warnings) key += `|${warning.length}:${warning}`;
      known = byText.get(key);
    }
    if (known === undefined) {
      known = answerText(
        admissionResponse({ apiVersion: review.apiVersion, uid: UID_MARK }, answerOf(result)),
      );
      if (only !== undefined) {
        const entry = byVerdict.get(only) ?? {};
        entry[review.apiVersion] = known;
        byVerdict.set(only, entry);
      } else {
        if (byText.size >= maxEntries) byText.delete(byText.keys().next().value as string);
        byText.set(key, known);
      }
    }
    return known;
  };
}

/** The admission answer of a result: allowed, and the message and warnings when there are any. */
function answerOf(result: AdmissionResult): AdmissionAnswer {
  const { allowed, message, warnings } = result.verdict;
  return { allowed, ...(message ? { message } : {}), ...(warnings.length > 0 ? { warnings } : {}) };
}

/** What is kept of an AdmissionReview seen before: what was read from it, and its last answer while fresh. */
interface ReviewMemo {
  /** Read with its first sighting's uid, which each repeat replaces. */
  review: AdmissionRequestImages;
  /** Whether annotations were read: bundles that start selecting on them need the review read again. */
  readAnnotations: boolean;
  answered: { generation: number; freshUntil: number; result: AdmissionResult; text: AnswerText } | undefined;
}

/** JSON.parse's reading of a review's request uid (the probe of RepeatedReviews). */
function requestUid(text: string): unknown {
  const review = JSON.parse(text) as { request?: { uid?: unknown } } | null;
  return review?.request?.uid;
}

/** An answer's JSON text around its uid, also encoded with the uid's quotes for repeated reviews. */
interface AnswerText {
  before: string;
  after: string;
  /** `before` and the uid's opening quote, UTF-8. */
  head: Buffer;
  /** The uid's closing quote and `after`, UTF-8. */
  tail: Buffer;
}

/** The answer's bytes with a plain uid (no character JSON escapes) put in: copies, no encoding of the text. */
function answerBytes(text: AnswerText, plainUid: string): Buffer {
  const { head, tail } = text;
  const out = Buffer.allocUnsafe(head.length + plainUid.length + tail.length);
  head.copy(out, 0);
  out.write(plainUid, head.length, "latin1");
  tail.copy(out, head.length + plainUid.length);
  return out;
}

// A uid no request has (NUL characters), found again in the serialized answer to cut it there
const UID_MARK = "\u0000uid\u0000";

function answerText(response: AdmissionReviewResponse): AnswerText {
  const text = JSON.stringify(response);
  const mark = JSON.stringify(UID_MARK);
  const at = text.indexOf(mark);
  const before = text.slice(0, at);
  const after = text.slice(at + mark.length);
  return { before, after, head: Buffer.from(`${before}"`), tail: Buffer.from(`"${after}`) };
}
