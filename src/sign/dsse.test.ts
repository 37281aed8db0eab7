import assert from "node:assert/strict";
import { createPublicKey, generateKeyPairSync } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { corpusPath, skipWithoutCorpus } from "../../test/support/corpus.js";
import { envelopeBytes, pae, parseDsseEnvelope, signDsse, verifyDsse } from "./dsse.js";
import { IN_TOTO_PAYLOAD_TYPE, imageSubject, statement, statementBytes } from "./in-toto.js";
import { readVerificationSummary, VSA_PREDICATE_TYPE } from "./verification-summary.js";

const VSA_DIR = "signing/dsse/slsa-verifier-vsa";
const VSA_KEYID = "keystore://76574:prod:vsa_signing_public_key";

describe("DSSE pre-authentication encoding", () => {
  it("follows the spec's example", () => {
    assert.equal(
      pae("http://example.com/HelloWorld", Buffer.from("hello world")).toString(),
      "DSSEv1 29 http://example.com/HelloWorld 11 hello world",
    );
  });

  it("counts bytes, not characters", () => {
    assert.equal(pae("t", Buffer.from("é")).toString(), "DSSEv1 1 t 2 é");
  });
});

describe("DSSE sign and verify", () => {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const other = generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey;
  const image = `sha256:${"c3".repeat(32)}`;
  const body = statementBytes(
    statement(imageSubject("registry.test/app", image), "https://example.test/p", { answer: 42 }),
  );

  it("round-trips an in-toto statement through the envelope's bytes", () => {
    const envelope = parseDsseEnvelope(
      envelopeBytes(signDsse(IN_TOTO_PAYLOAD_TYPE, body, privateKey, "ci")),
      "att",
    );
    const verdict = verifyDsse(envelope, [
      { name: "other", key: other },
      { name: "ci", key: publicKey },
    ]);
    assert.ok(verdict.ok, JSON.stringify(verdict));
    assert.equal(verdict.keyName, "ci");
    assert.deepEqual(verdict.statement?.subject, [
      { name: "registry.test/app", digest: { sha256: "c3".repeat(32) } },
    ]);
    assert.deepEqual(verdict.statement?.predicate, { answer: 42 });
  });

  it("refuses a tampered payload, another key, and a changed payload type", () => {
    const envelope = signDsse(IN_TOTO_PAYLOAD_TYPE, body, privateKey);
    const tampered = {
      ...envelope,
      payload: Buffer.from(body.toString().replace("42", "43")).toString("base64"),
    };
    const refused = verifyDsse(tampered, [{ name: "ci", key: publicKey }], "layer 0 of sha256-x.att");
    assert.deepEqual(refused, {
      ok: false,
      reason:
        "no envelope signature (no key id) verifies with any trusted key (ci) (layer 0 of sha256-x.att)",
      // A tampered payload and another signer look alike to DSSE: both are "untrusted"
      untrusted: true,
    });
    assert.equal(verifyDsse(envelope, [{ name: "other", key: other }]).ok, false);
    assert.equal(
      verifyDsse({ ...envelope, payloadType: "text/plain" }, [{ name: "ci", key: publicKey }]).ok,
      false,
    );
    assert.equal(verifyDsse(envelope, []).ok, false);
  });

  it("returns no statement for other payload types, and refuses a signed in-toto payload that is not one", () => {
    const plain = verifyDsse(signDsse("text/plain", Buffer.from("hi"), privateKey), [
      { name: "ci", key: publicKey },
    ]);
    assert.ok(plain.ok && plain.statement === undefined && plain.body.toString() === "hi");
    const notStatement = verifyDsse(signDsse(IN_TOTO_PAYLOAD_TYPE, Buffer.from("{}"), privateKey), [
      { name: "ci", key: publicKey },
    ]);
    assert.equal(notStatement.ok, false);
    assert.match(
      notStatement.ok ? "" : notStatement.reason,
      /^signed by ci, but Cannot read the in-toto statement: _type is undefined/,
    );
  });

  it("refuses malformed envelopes with what is wrong", () => {
    for (const [text, message] of [
      ["nope", /not JSON/],
      ["{}", /no payloadType/],
      ['{"payloadType":"t"}', /no payload/],
      ['{"payloadType":"t","payload":"!!"}', /payload is not base64/],
      ['{"payloadType":"t","payload":"aGk=","signatures":[]}', /no signatures/],
      [
        '{"payloadType":"t","payload":"aGk=","signatures":[{"keyid":1,"sig":"aGk="}]}',
        /keyid is not a string/,
      ],
    ] as const) {
      assert.throws(
        () => parseDsseEnvelope(Buffer.from(text), "layer 2"),
        (e: Error) => message.test(e.message) && e.message.endsWith("(layer 2)"),
      );
    }
  });
});

describe("slsa-verifier's VSA envelope (raw r‖s signature)", () => {
  const skip = skipWithoutCorpus(
    `${VSA_DIR}/gke-gce-pre.bcid-vsa.jsonl`,
    `${VSA_DIR}/vsa_signing_public_key.pem`,
  );
  const load = () => ({
    envelope: parseDsseEnvelope(readFileSync(corpusPath(`${VSA_DIR}/gke-gce-pre.bcid-vsa.jsonl`)), "gke vsa"),
    key: createPublicKey(readFileSync(corpusPath(`${VSA_DIR}/vsa_signing_public_key.pem`))),
  });

  it("verifies with its key and key id, and reads the statement", { skip }, () => {
    const { envelope, key } = load();
    const verdict = verifyDsse(envelope, [{ name: "bcid", key, keyid: VSA_KEYID }]);
    assert.ok(verdict.ok, JSON.stringify(verdict));
    assert.equal(verdict.statement?.predicateType, VSA_PREDICATE_TYPE);
    assert.deepEqual(verdict.statement?.subject, [
      { name: "_", digest: { gce_image_id: "8970095005306000053" } },
    ]);
    assert.deepEqual(verdict.statement?.predicate.verifiedLevels, ["BCID_L1", "SLSA_BUILD_LEVEL_2"]);
  });

  it("is refused when the key is bound to another key id", { skip }, () => {
    const { envelope, key } = load();
    assert.equal(verifyDsse(envelope, [{ name: "bcid", key, keyid: "keystore://other" }]).ok, false);
  });

  it("is not usable as a CIPolicE summary: its subject has no sha256 digest", { skip }, () => {
    const { envelope, key } = load();
    const verdict = verifyDsse(envelope, [{ name: "bcid", key }]);
    const statement = verdict.ok ? verdict.statement : undefined;
    assert.ok(statement);
    assert.throws(
      () => readVerificationSummary(statement, "gke vsa"),
      /its subject has no sha256 digest \(gke vsa\)/,
    );
  });
});
