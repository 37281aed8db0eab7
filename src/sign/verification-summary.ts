import { clip, isJsonObject, SHA256_DIGEST } from "./encoding.js";
import type { Statement } from "./in-toto.js";
import { signError } from "./sign-error.js";

/** Predicate type of a SLSA verification summary (VSA) v1. */
export const VSA_PREDICATE_TYPE = "https://slsa.dev/verification_summary/v1";
/** `verifier.id` of the summaries CIPolicE writes. */
export const CIPOLICE_VERIFIER_ID = "https://cipolice.dev/verifier";
/** `verifiedLevels` entry of a passing CIPolicE summary (a custom property, as the VSA spec allows). */
export const CIPOLICE_POLICY_PASSED = "CIPOLICE_POLICY_PASSED";
/** `policy.uri` prefix: the bundle name follows, percent-encoded. */
const POLICY_URI_PREFIX = "urn:cipolice:bundle:";

/** A SLSA VSA v1 predicate (the fields CIPolicE writes). */
export interface VerificationSummaryPredicate extends Record<string, unknown> {
  verifier: { id: string; version: Record<string, string> };
  timeVerified: string;
  resourceUri: string;
  policy: { uri: string; digest: Record<string, string> };
  verificationResult: "PASSED" | "FAILED";
  verifiedLevels: string[];
}

/** What a summary of one CIPolicE decision states. */
export interface VerificationSummaryInput {
  /** CIPolicE's version (`verifier.version.cipolice`). */
  verifierVersion: string;
  /** The bundle's name or id. */
  policyName: string;
  /** The bundle digest (`sha256:<hex>`), as DecisionV1 `bundle.digest` gives it. */
  policyDigest: string;
  /** The image reference the decision was about (`registry/repository[:tag]`). */
  resource: string;
  /** The image manifest digest (`sha256:<hex>`). */
  imageDigest: string;
  /** When the decision was made. */
  time: Date | string;
  passed: boolean;
}

/** What a CIPolicE verification summary says, once read and checked. */
export interface VerificationSummaryFacts {
  imageDigest: string;
  policyDigest: string;
  policyName?: string;
  passed: boolean;
  /** `timeVerified` as written, and in epoch milliseconds for age checks. */
  time: string;
  timeMs: number;
  verifierId: string;
  verifierVersion?: string;
  resourceUri: string;
}

/**
 * The VSA predicate of a CIPolicE decision: verifier CIPolicE and its version, policy = bundle name and
 * digest, resource = the image reference pinned to its digest, time, PASSED or FAILED. Put it in a statement
 * whose subject is the image ({@link imageSubject}) with predicate type {@link VSA_PREDICATE_TYPE}.
 */
export function verificationSummary(input: VerificationSummaryInput): VerificationSummaryPredicate {
  const fail = (what: string): never => {
    throw signError(`Cannot build the verification summary: ${what}`);
  };
  if (!SHA256_DIGEST.test(input.imageDigest))
    fail(`image digest ${JSON.stringify(clip(input.imageDigest))} is not sha256:<hex>`);
  if (!SHA256_DIGEST.test(input.policyDigest)) {
    fail(`bundle digest ${JSON.stringify(clip(input.policyDigest))} is not sha256:<hex>`);
  }
  if (input.policyName === "") fail("the bundle has no name");
  if (input.verifierVersion === "") fail("the verifier version is empty");
  const time = input.time instanceof Date ? input.time : new Date(input.time);
  if (Number.isNaN(time.getTime())) fail(`time ${JSON.stringify(String(input.time))} is not a date`);
  return {
    verifier: { id: CIPOLICE_VERIFIER_ID, version: { cipolice: input.verifierVersion } },
    timeVerified: time.toISOString(),
    resourceUri: pinnedResource(input.resource, input.imageDigest),
    policy: {
      uri: `${POLICY_URI_PREFIX}${encodeURIComponent(input.policyName)}`,
      digest: { sha256: input.policyDigest.slice("sha256:".length) },
    },
    verificationResult: input.passed ? "PASSED" : "FAILED",
    verifiedLevels: input.passed ? [CIPOLICE_POLICY_PASSED] : [],
  };
}

/**
 * Reads a verified statement as a CIPolicE verification summary, checking what admission relies on: the
 * predicate type, one subject with a sha256 digest, a result of PASSED or FAILED, an RFC 3339
 * `timeVerified`, a policy sha256 digest, a resource and a verifier id. It decides neither trust nor
 * freshness: the caller compares `verifierId`, the signing key, `policyDigest` and `timeMs` with its own.
 */
export function readVerificationSummary(
  value: Statement,
  where = "verification summary",
): VerificationSummaryFacts {
  const fail = (what: string): never => {
    throw signError(`Cannot use the verification summary: ${what} (${where})`);
  };
  if (value.predicateType !== VSA_PREDICATE_TYPE) {
    fail(`predicate type is ${JSON.stringify(clip(value.predicateType))}, not ${VSA_PREDICATE_TYPE}`);
  }
  if (value.subject.length !== 1)
    fail(`it names ${value.subject.length} subjects; a CIPolicE summary names one image`);
  const hex = value.subject[0]?.digest.sha256;
  if (hex === undefined || !/^[0-9a-f]{64}$/.test(hex)) fail("its subject has no sha256 digest");
  const p = value.predicate;
  const verifier = p.verifier;
  if (!isJsonObject(verifier) || typeof verifier.id !== "string" || verifier.id === "")
    fail("no verifier.id");
  const v = verifier as { id: string; version?: unknown };
  const result = p.verificationResult;
  if (result !== "PASSED" && result !== "FAILED") {
    fail(`verificationResult is ${JSON.stringify(result)}, not PASSED or FAILED`);
  }
  const time = p.timeVerified;
  const timeMs = typeof time === "string" && RFC3339.test(time) ? Date.parse(time) : Number.NaN;
  if (Number.isNaN(timeMs)) fail(`timeVerified ${JSON.stringify(time)} is not an RFC 3339 time`);
  const policy = p.policy;
  if (!isJsonObject(policy)) return fail("no policy");
  const digest = isJsonObject(policy.digest) ? policy.digest.sha256 : undefined;
  if (typeof digest !== "string" || !/^[0-9a-f]{64}$/.test(digest))
    fail("policy.digest has no sha256 digest");
  if (typeof p.resourceUri !== "string" || p.resourceUri === "") fail("no resourceUri");
  const facts: VerificationSummaryFacts = {
    imageDigest: `sha256:${hex}`,
    policyDigest: `sha256:${digest}`,
    passed: result === "PASSED",
    time: time as string,
    timeMs,
    verifierId: v.id,
    resourceUri: p.resourceUri as string,
  };
  const name =
    typeof policy.uri === "string" && policy.uri.startsWith(POLICY_URI_PREFIX) ? policy.uri : undefined;
  if (name !== undefined) facts.policyName = safeDecode(name.slice(POLICY_URI_PREFIX.length));
  const version = isJsonObject(v.version) ? v.version.cipolice : undefined;
  if (typeof version === "string") facts.verifierVersion = version;
  return facts;
}

/** RFC 3339 date-time (what VSA `timeVerified` is), with a zone. */
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$/;

/** The reference pinned to the digest: `repo[:tag]@sha256:…`; a reference already pinned must agree. */
function pinnedResource(resource: string, digest: string): string {
  if (resource === "" || /[\s\p{Cc}]/u.test(resource)) {
    throw signError(
      `Cannot build the verification summary: resource ${JSON.stringify(clip(resource))} is not an image reference`,
    );
  }
  const at = resource.indexOf("@");
  if (at < 0) return `${resource}@${digest}`;
  if (resource.slice(at + 1) !== digest) {
    throw signError(
      `Cannot build the verification summary: resource ${clip(resource)} names another digest than ${digest}`,
    );
  }
  return resource;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
