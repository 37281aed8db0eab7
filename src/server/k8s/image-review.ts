import { CipError } from "../../model/index.js";
import { statusMessageText } from "./answer-text.js";
import { isAuditAnnotationKey } from "./audit-annotations.js";
import {
  ANNOTATION_BOUNDS,
  boundedStringMap,
  describeJson,
  invalidDocument,
  isJsonObject,
  optionalList,
  optionalString,
  quoteValue,
  requiredObject,
} from "./document-fields.js";

/** The one ImageReview version the API server's ImagePolicyWebhook plugin sends. */
export const IMAGE_REVIEW_API_VERSION = "imagepolicy.k8s.io/v1alpha1";

/** What CIPolicE reads from an ImageReview: the images of the Pod, its namespace and its policy annotations. */
export interface ImageReviewRequest {
  /** The distinct image references of the Pod's containers, in the order sent. */
  images: string[];
  /** The namespace the Pod is created in, "" when not sent. */
  namespace: string;
  /**
   * The annotations sent. The API server forwards only Pod annotations whose key contains
   * `.image-policy.k8s.io/` (see {@link isImagePolicyAnnotation}), e.g. a break-glass ticket.
   */
  annotations: Record<string, string>;
  /** Which annotations were ignored for being too many or too long (ANNOTATION_BOUNDS), when some were. */
  annotationsIgnored?: string;
}

/** The answer for the ImagePolicyWebhook. */
export interface ImageReviewAnswer {
  allowed: boolean;
  /** Why it was denied; the API server shows it after "image policy webhook backend denied one or more images: ". */
  reason?: string;
  /** Added to the audit event, each key prefixed with `imagepolicywebhook.image-policy.k8s.io/`. */
  auditAnnotations?: Record<string, string>;
}

/** An ImageReview carrying the answer in `status`. */
export interface ImageReviewResponse {
  apiVersion: typeof IMAGE_REVIEW_API_VERSION;
  kind: "ImageReview";
  status: { allowed: boolean; reason?: string; auditAnnotations?: Record<string, string> };
}

const DOC = "ImageReview";
/** The part of an annotation key the API server looks for before forwarding it to the webhook. */
const IMAGE_POLICY_KEY_PART = ".image-policy.k8s.io/";

/** True for an annotation key the API server forwards in an ImageReview (`*.image-policy.k8s.io/*`). */
export function isImagePolicyAnnotation(key: string): boolean {
  return key.includes(IMAGE_POLICY_KEY_PART);
}

/**
 * Reads an `imagepolicy.k8s.io/v1alpha1` ImageReview: `spec.containers[].image`, `spec.namespace` and
 * `spec.annotations`. A body that is not one throws CIP_REQUEST_INVALID naming the exact field, e.g.
 * "Cannot read the ImageReview: expected a string, got a number (spec.containers[0].image)".
 */
export function parseImageReview(body: unknown): ImageReviewRequest {
  if (!isJsonObject(body)) throw invalidDocument(DOC, `the body is ${describeJson(body)}, not an object`, "");
  const apiVersion = optionalString(body, "apiVersion", "", DOC);
  if (apiVersion !== IMAGE_REVIEW_API_VERSION) {
    const what =
      apiVersion === undefined
        ? "it is missing"
        : `expected ${IMAGE_REVIEW_API_VERSION}, got ${quoteValue(apiVersion)}`;
    throw invalidDocument(DOC, what, "apiVersion");
  }
  const kind = optionalString(body, "kind", "", DOC);
  if (kind !== DOC) {
    throw invalidDocument(
      DOC,
      kind === undefined ? "it is missing" : `expected "${DOC}", got ${quoteValue(kind)}`,
      "kind",
    );
  }
  const spec = requiredObject(body, "spec", "", DOC);
  const images: string[] = [];
  optionalList(spec, "containers", "spec", DOC).forEach((container, index) => {
    const at = `spec.containers[${index}]`;
    if (!isJsonObject(container)) {
      throw invalidDocument(DOC, `expected a container object, got ${describeJson(container)}`, at);
    }
    const image = optionalString(container, "image", at, DOC);
    // The API server validated the Pod first, so every container names its image.
    if (image === undefined || image === "") {
      throw invalidDocument(DOC, image === "" ? "it is empty" : "it is missing", `${at}.image`);
    }
    if (!images.includes(image)) images.push(image);
  });
  const annotations = boundedStringMap(spec, "annotations", "spec", DOC, ANNOTATION_BOUNDS, "refuse");
  return {
    images,
    namespace: optionalString(spec, "namespace", "spec", DOC) ?? "",
    annotations: annotations.values,
    ...(annotations.ignored !== undefined ? { annotationsIgnored: annotations.ignored } : {}),
  };
}

/**
 * Builds the ImageReview answer: `status.allowed`, the `reason` (cut to a length kubectl shows whole) and
 * audit annotations when given.
 */
export function imageReviewResponse(answer: ImageReviewAnswer): ImageReviewResponse {
  const status: ImageReviewResponse["status"] = { allowed: answer.allowed };
  const reason = statusMessageText(answer.reason ?? "");
  if (reason !== "") status.reason = reason;
  if (answer.auditAnnotations !== undefined && Object.keys(answer.auditAnnotations).length > 0) {
    for (const key of Object.keys(answer.auditAnnotations)) {
      if (!isAuditAnnotationKey(key)) {
        throw new CipError(
          "CIP_INTERNAL",
          `Cannot answer the ImageReview: audit annotation key ${JSON.stringify(key)} is not a valid name`,
          {
            hint: "Use at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit.",
          },
        );
      }
    }
    status.auditAnnotations = { ...answer.auditAnnotations };
  }
  return { apiVersion: IMAGE_REVIEW_API_VERSION, kind: DOC, status };
}
