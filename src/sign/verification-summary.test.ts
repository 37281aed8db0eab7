import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { describe, it } from "node:test";
import type { DecisionV1 } from "../model/index.js";
import { DECISION_PREDICATE_TYPE, decisionStatement, readDecisionPredicate } from "./decision-predicate.js";
import { envelopeBytes, parseDsseEnvelope, signDsse, verifyDsse } from "./dsse.js";
import {
  IN_TOTO_PAYLOAD_TYPE,
  imageSubject,
  parseStatement,
  STATEMENT_V1,
  type Statement,
  statement,
  statementBytes,
  statementCovers,
} from "./in-toto.js";
import {
  CIPOLICE_VERIFIER_ID,
  readVerificationSummary,
  VSA_PREDICATE_TYPE,
  verificationSummary,
} from "./verification-summary.js";

const IMAGE = `sha256:${"d4".repeat(32)}`;
const BUNDLE = `sha256:${"e5".repeat(32)}`;
const INPUT = {
  verifierVersion: "0.1.0",
  policyName: "default bundle/v2",
  policyDigest: BUNDLE,
  resource: "registry.test/team/app:1.2",
  imageDigest: IMAGE,
  time: new Date("2026-12-07T12:00:00Z"),
  passed: true,
};

function vsa(overrides: Partial<typeof INPUT> = {}): Statement {
  const input = { ...INPUT, ...overrides };
  return statement(
    imageSubject("registry.test/team/app", input.imageDigest),
    VSA_PREDICATE_TYPE,
    verificationSummary(input),
  );
}

describe("verification summary", () => {
  it("writes a SLSA VSA v1 predicate for a decision", () => {
    assert.deepEqual(verificationSummary(INPUT), {
      verifier: { id: CIPOLICE_VERIFIER_ID, version: { cipolice: "0.1.0" } },
      timeVerified: "2026-12-07T12:00:00.000Z",
      resourceUri: `registry.test/team/app:1.2@${IMAGE}`,
      policy: { uri: "urn:cipolice:bundle:default%20bundle%2Fv2", digest: { sha256: "e5".repeat(32) } },
      verificationResult: "PASSED",
      verifiedLevels: ["CIPOLICE_POLICY_PASSED"],
    });
    assert.equal(verificationSummary({ ...INPUT, passed: false }).verificationResult, "FAILED");
  });

  it("round-trips: build, sign, verify, read", () => {
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const envelope = signDsse(IN_TOTO_PAYLOAD_TYPE, statementBytes(vsa()), privateKey);
    const verdict = verifyDsse(parseDsseEnvelope(envelopeBytes(envelope), "att"), [
      { name: "ci", key: publicKey },
    ]);
    assert.ok(verdict.ok && verdict.statement);
    assert.deepEqual(readVerificationSummary(verdict.statement), {
      imageDigest: IMAGE,
      policyDigest: BUNDLE,
      policyName: "default bundle/v2",
      passed: true,
      time: "2026-12-07T12:00:00.000Z",
      timeMs: Date.parse("2026-12-07T12:00:00Z"),
      verifierId: CIPOLICE_VERIFIER_ID,
      verifierVersion: "0.1.0",
      resourceUri: `registry.test/team/app:1.2@${IMAGE}`,
    });
    assert.equal(readVerificationSummary(vsa({ passed: false })).passed, false);
  });

  it("refuses to build from bad input", () => {
    assert.throws(
      () => verificationSummary({ ...INPUT, imageDigest: "sha256:1" }),
      /image digest "sha256:1" is not sha256/,
    );
    assert.throws(() => verificationSummary({ ...INPUT, policyDigest: "abc" }), /bundle digest "abc"/);
    assert.throws(
      () => verificationSummary({ ...INPUT, time: "yesterday" }),
      /time "yesterday" is not a date/,
    );
    assert.throws(
      () => verificationSummary({ ...INPUT, resource: `r/a@sha256:${"0".repeat(64)}` }),
      /names another digest/,
    );
  });

  const broken: [string, (s: Statement) => void, RegExp][] = [
    [
      "another predicate type",
      (s) => {
        s.predicateType = "https://slsa.dev/provenance/v1";
      },
      /predicate type is/,
    ],
    ["two subjects", (s) => void s.subject.push(s.subject[0] as Statement["subject"][0]), /names 2 subjects/],
    [
      "no sha256 subject",
      (s) => {
        s.subject = [{ name: "x", digest: { sha512: "00" } }];
      },
      /no sha256 digest/,
    ],
    ["no verifier", (s) => void delete s.predicate.verifier, /no verifier\.id/],
    [
      "a result neither PASSED nor FAILED",
      (s) => {
        s.predicate.verificationResult = "passed";
      },
      /"passed", not PASSED or FAILED/,
    ],
    [
      "a bad time",
      (s) => {
        s.predicate.timeVerified = "2026-12-07";
      },
      /not an RFC 3339 time/,
    ],
    [
      "no policy digest",
      (s) => {
        s.predicate.policy = { uri: "x" };
      },
      /policy\.digest has no sha256/,
    ],
    ["no resource", (s) => void delete s.predicate.resourceUri, /no resourceUri/],
  ];
  for (const [name, breakIt, message] of broken) {
    it(`refuses to read a summary with ${name}`, () => {
      const s = structuredClone(vsa());
      breakIt(s);
      assert.throws(
        () => readVerificationSummary(s, "layer 0"),
        (e: Error) => message.test(e.message) && e.message.endsWith("(layer 0)"),
      );
    });
  }
});

describe("in-toto statements", () => {
  it("are v1, cover their subject's digest, and parse back", () => {
    const s = vsa();
    assert.equal(s._type, STATEMENT_V1);
    assert.ok(statementCovers(s, IMAGE));
    assert.equal(statementCovers(s, BUNDLE), false);
    // Digest algorithms are looked up as own keys only.
    assert.equal(statementCovers(s, "constructor:00"), false);
    assert.deepEqual(parseStatement(statementBytes(s), "t"), s);
  });

  it("are read in v0.1 too, and refused without subject or digest", () => {
    const old = {
      _type: "https://in-toto.io/Statement/v0.1",
      subject: [{ name: "a", digest: { sha256: "00" } }],
      predicateType: "p",
      predicate: {},
    };
    assert.equal(parseStatement(old, "t")._type, "https://in-toto.io/Statement/v0.1");
    assert.throws(() => parseStatement({ ...old, subject: [] }, "t"), /no subject \(t\)/);
    assert.throws(
      () => parseStatement({ ...old, subject: [{ name: "a", digest: {} }] }, "t"),
      /subject\[0\] has no digest \(t\)/,
    );
    assert.throws(() => parseStatement({ ...old, _type: "x" }, "t"), /_type is "x"/);
    assert.throws(() => statement([], "p", {}), /no subject given/);
  });
});

describe("decision attestation", () => {
  const decision = {
    schemaVersion: "1",
    decisionId: "dec-1",
    image: {
      ref: "registry.test/team/app:1.2",
      registry: "registry.test",
      repository: "team/app",
      tag: "1.2",
      digest: IMAGE,
    },
    bundle: { id: "b", name: "default", digest: BUNDLE },
    mapping: null,
    policies: [],
    finalAction: "go",
    policyAction: "go",
    status: "pass",
    reason: "policy_evaluation",
    results: [],
    problems: [],
    evaluatedAt: "2026-12-07T12:00:00Z",
  } as DecisionV1;

  it("puts the whole DecisionV1 under CIPolicE's predicate type and reads it back", () => {
    const s = decisionStatement(decision);
    assert.equal(s.predicateType, DECISION_PREDICATE_TYPE);
    assert.deepEqual(s.subject, [{ name: "registry.test/team/app", digest: { sha256: "d4".repeat(32) } }]);
    assert.deepEqual(readDecisionPredicate(parseStatement(statementBytes(s), "t")), decision);
  });

  it("refuses an image without digest, and a decision about another image than the subject", () => {
    assert.throws(
      () => decisionStatement({ ...decision, image: { ...decision.image, digest: undefined } }),
      /has no sha256 manifest digest/,
    );
    const s = decisionStatement(decision);
    s.subject = [{ name: "x", digest: { sha256: "00".repeat(32) } }];
    assert.throws(() => readDecisionPredicate(s), /not the decided image/);
  });
});
