import type { DecisionV1 } from "../model/index.js";
import { clip, isJsonObject, SHA256_DIGEST } from "./encoding.js";
import { imageSubject, type Statement, statement, statementCovers } from "./in-toto.js";
import { signError } from "./sign-error.js";

/**
 * Predicate type of CIPolicE's full decision attestation. The predicate is a DecisionV1 exactly as the API
 * answers it and the decision log records it (schemaVersion "1", decisionId, image, bundle id and digest,
 * mapping, policies, final action, status, reason, one row per trigger hit, problems, evaluatedAt); the
 * statement's one subject is the image (repository and manifest digest), which must equal
 * `predicate.image.digest`. Pushed next to the image as a cosign attestation (`sha256-<hex>.att`, layer media
 * type `application/vnd.dsse.envelope.v1+json`, annotation `predicateType`), beside or instead of the SLSA
 * verification summary, which says less (pass or fail, bundle, time) but is what other tools read.
 */
export const DECISION_PREDICATE_TYPE = "https://cipolice.dev/decision/v1";

/** The in-toto statement attaching a full decision to the image it is about. */
export function decisionStatement(decision: DecisionV1): Statement {
  const digest = decision.image.digest;
  if (digest === undefined || !SHA256_DIGEST.test(digest)) {
    throw signError(
      `Cannot attest the decision ${decision.decisionId}: the image ${decision.image.ref} has no sha256 manifest digest`,
      "decide on an image from a registry or layout, so its digest is known",
    );
  }
  const name =
    decision.image.registry === ""
      ? decision.image.ref
      : `${decision.image.registry}/${decision.image.repository}`;
  return statement(
    imageSubject(name, digest),
    DECISION_PREDICATE_TYPE,
    decision as unknown as Record<string, unknown>,
  );
}

/**
 * Reads the decision from a verified statement of type {@link DECISION_PREDICATE_TYPE}, checking what a
 * reader relies on: schemaVersion "1", status, bundle digest, and that the image digest is the subject's.
 */
export function readDecisionPredicate(value: Statement, where = "decision attestation"): DecisionV1 {
  const fail = (what: string): never => {
    throw signError(`Cannot use the decision attestation: ${what} (${where})`);
  };
  if (value.predicateType !== DECISION_PREDICATE_TYPE) {
    fail(`predicate type is ${JSON.stringify(clip(value.predicateType))}, not ${DECISION_PREDICATE_TYPE}`);
  }
  const p = value.predicate;
  if (p.schemaVersion !== "1") fail(`schemaVersion is ${JSON.stringify(p.schemaVersion)}, not "1"`);
  if (p.status !== "pass" && p.status !== "fail")
    fail(`status is ${JSON.stringify(p.status)}, not pass or fail`);
  if (typeof p.decisionId !== "string") fail("no decisionId");
  const bundle = p.bundle;
  if (!isJsonObject(bundle) || typeof bundle.digest !== "string" || !SHA256_DIGEST.test(bundle.digest)) {
    fail("bundle.digest is not a sha256 digest");
  }
  const image = p.image;
  const digest = isJsonObject(image) ? image.digest : undefined;
  if (typeof digest !== "string" || !SHA256_DIGEST.test(digest))
    return fail("image.digest is not a sha256 digest");
  if (!statementCovers(value, digest)) fail(`the statement's subject is not the decided image ${digest}`);
  return p as unknown as DecisionV1;
}
