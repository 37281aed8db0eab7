import assert from "node:assert/strict";
import { test } from "node:test";
import { factsFor, fireTrigger, paramProblems, TEST_NOW } from "../../../test/support/gates.js";
import type { SigningFacts } from "../../model/index.js";
import { attestationGate } from "./attestation.js";
import { signatureGate } from "./signature.js";

const CI = "a".repeat(64);
const OTHER = "b".repeat(64);
const BUNDLE = `sha256:${"c".repeat(64)}`;

function signing(time: string, passed = true, fingerprint = CI): SigningFacts {
  return {
    keys: [
      { name: "ci", fingerprint: CI },
      { name: "other", fingerprint: OTHER },
    ],
    signatures: [],
    attestations: [
      {
        layer: 0,
        valid: true,
        keyFingerprint: fingerprint,
        predicateType: "https://slsa.dev/verification_summary/v1",
        summary: { passed, policyDigest: BUNDLE, time },
      },
    ],
  };
}

const summary = (facts: SigningFacts, params: Record<string, string>) =>
  fireTrigger(
    attestationGate,
    "verification_summary",
    { policy_digest: BUNDLE, ...params },
    factsFor({ signing: facts }),
  ).map((h) => h.message);

test("a summary older than max_age_days no longer counts; a young one does", () => {
  const day = 86_400_000;
  const young = new Date(TEST_NOW.getTime() - 2 * day).toISOString();
  const old = new Date(TEST_NOW.getTime() - 40 * day).toISOString();
  assert.deepEqual(summary(signing(young), { keys: "ci", max_age_days: "7" }), []);
  assert.match(summary(signing(old), { keys: "ci", max_age_days: "30" }).join(), /older than allowed/);
  assert.deepEqual(summary(signing(old), { keys: "ci" }), []);
});

test("a summary signed by a key the rule does not name is not trusted, even if another rule trusts it", () => {
  const facts = signing(TEST_NOW.toISOString(), true, OTHER);
  assert.match(summary(facts, { keys: "ci" }).join(), /signed by a key this rule does not trust/);
  assert.deepEqual(summary(facts, { keys: "other" }), []);
  // No keys named: any known key counts
  assert.deepEqual(summary(facts, {}), []);
});

test("a rule's PEM key must be a public key; a bad one is refused when the bundle is validated", () => {
  assert.match(
    paramProblems(signatureGate, "untrusted", {
      key: "-----BEGIN PUBLIC KEY-----\nnot a key\n-----END PUBLIC KEY-----",
    }).join(),
    /not a PEM public key/,
  );
  assert.match(paramProblems(attestationGate, "missing", {}).join(), /predicate_type/);
});

test("with no signing data the gates do not fire (the decision notes that nothing was looked up)", () => {
  assert.deepEqual(fireTrigger(signatureGate, "missing", {}, factsFor()), []);
  assert.deepEqual(fireTrigger(attestationGate, "verification_summary", {}, factsFor()), []);
});
