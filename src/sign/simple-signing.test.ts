import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { corpusPath, skipWithoutCorpus } from "../../test/support/corpus.js";
import { sha256Digest } from "./encoding.js";
import { parseSimpleSigningPayload, SIMPLE_SIGNING_TYPE, simpleSigningPayload } from "./simple-signing.js";

const CONNAISSEUR_BLOB =
  "signing/cosign-registry/connaisseur/blobs/sha256-7248e52a7da336ff63192f2c0a8f12562b0d5368e9cde6ab292cbb4604074f28.json";
const DIGEST = `sha256:${"ab".repeat(32)}`;

describe("simple-signing payload", () => {
  it("writes the exact bytes cosign signed for connaisseur's test image", {
    skip: skipWithoutCorpus(CONNAISSEUR_BLOB),
  }, () => {
    const bytes = simpleSigningPayload({
      dockerReference: "index.docker.io/securesystemsengineering/testimage",
      manifestDigest: "sha256:bfec161fecb0a887df7cb85e4da327c65986ccda7060cf3cd92171c6c90d7533",
    });
    assert.deepEqual(bytes, readFileSync(corpusPath(CONNAISSEUR_BLOB)));
    assert.equal(
      sha256Digest(bytes),
      "sha256:7248e52a7da336ff63192f2c0a8f12562b0d5368e9cde6ab292cbb4604074f28",
    );
  });

  it("round-trips with annotations, written in sorted key order", () => {
    const bytes = simpleSigningPayload({
      dockerReference: "registry.example/app",
      manifestDigest: DIGEST,
      annotations: { "dev.cipolice/decision": "d-1", "dev.cipolice/bundle": "sha256:00" },
    });
    assert.match(
      bytes.toString(),
      /"optional":\{"dev\.cipolice\/bundle":"sha256:00","dev\.cipolice\/decision":"d-1"\}\}$/,
    );
    assert.deepEqual(parseSimpleSigningPayload(bytes, "test"), {
      dockerReference: "registry.example/app",
      manifestDigest: DIGEST,
      type: SIMPLE_SIGNING_TYPE,
      annotations: { "dev.cipolice/bundle": "sha256:00", "dev.cipolice/decision": "d-1" },
    });
  });

  it("reads containers/image's payloads (optional creator and timestamp)", () => {
    const text =
      '{"critical":{"identity":{"docker-reference":"192.168.64.2:5000/skopeo-signed:tag"},"image":{"docker-manifest-digest":"sha256:634a8f35b5f16dcf4aaa0822adc0b1964bb786fca12f6831de8ddc45e5986a00"},"type":"cosign container image signature"},"optional":{"creator":"containers/image 5.21.2-dev","timestamp":1657296609}}';
    const parsed = parseSimpleSigningPayload(Buffer.from(text), "c/image");
    assert.equal(parsed.dockerReference, "192.168.64.2:5000/skopeo-signed:tag");
    assert.equal(parsed.annotations.timestamp, 1657296609);
  });

  it("refuses bad input to build from", () => {
    assert.throws(
      () => simpleSigningPayload({ dockerReference: "", manifestDigest: DIGEST }),
      /docker-reference/,
    );
    assert.throws(
      () => simpleSigningPayload({ dockerReference: "a b", manifestDigest: DIGEST }),
      /spaces or control characters/,
    );
    assert.throws(
      () => simpleSigningPayload({ dockerReference: "r/a", manifestDigest: "sha256:xyz" }),
      /not of the form sha256:<64 hex digits>/,
    );
  });

  const bad: [string, string, RegExp][] = [
    ["not JSON", "{", /not JSON/],
    ["an array", "[]", /not a JSON object/],
    ["no critical", '{"optional":null}', /no `critical` object/],
    [
      "another type",
      `{"critical":{"identity":{"docker-reference":"r"},"image":{"docker-manifest-digest":"${DIGEST}"},"type":"atomic container signature"}}`,
      /critical\.type is "atomic container signature"/,
    ],
    [
      "an unknown critical field",
      `{"critical":{"identity":{"docker-reference":"r"},"image":{"docker-manifest-digest":"${DIGEST}"},"type":"${SIMPLE_SIGNING_TYPE}","extra":1}}`,
      /does not understand: extra/,
    ],
    [
      "a bad digest",
      `{"critical":{"identity":{"docker-reference":"r"},"image":{"docker-manifest-digest":"md5:00"},"type":"${SIMPLE_SIGNING_TYPE}"}}`,
      /docker-manifest-digest "md5:00" is not a digest/,
    ],
    [
      "no reference",
      `{"critical":{"identity":{},"image":{"docker-manifest-digest":"${DIGEST}"},"type":"${SIMPLE_SIGNING_TYPE}"}}`,
      /docker-reference is missing/,
    ],
    [
      "an optional string",
      `{"critical":{"identity":{"docker-reference":"r"},"image":{"docker-manifest-digest":"${DIGEST}"},"type":"${SIMPLE_SIGNING_TYPE}"},"optional":"x"}`,
      /neither an object nor null/,
    ],
  ];
  for (const [name, text, message] of bad) {
    it(`refuses a payload that is ${name}, naming where it is`, () => {
      assert.throws(
        () => parseSimpleSigningPayload(Buffer.from(text), "layer 3 of sha256-x.sig"),
        (error: Error) => message.test(error.message) && error.message.endsWith("(layer 3 of sha256-x.sig)"),
      );
    });
  }

  it("refuses bytes that are not UTF-8, and oversized payloads", () => {
    assert.throws(() => parseSimpleSigningPayload(Buffer.from([0xff, 0xfe]), "w"), /not UTF-8/);
    assert.throws(
      () => parseSimpleSigningPayload(Buffer.alloc(300 * 1024, 32), "w"),
      /over the 262144-byte limit/,
    );
  });
});
