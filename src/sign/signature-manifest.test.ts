import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { corpusPath, skipWithoutCorpus } from "../../test/support/corpus.js";
import { sha256Digest } from "./encoding.js";
import {
  appendSignatureLayer,
  attachmentConfig,
  attestationTag,
  buildSignatureManifest,
  DSSE_MEDIA_TYPE,
  parseAttestationManifest,
  parseSignatureManifest,
  SIGNATURE_ANNOTATION,
  signatureTag,
} from "./signature-manifest.js";
import { SIMPLE_SIGNING_MEDIA_TYPE } from "./simple-signing.js";

const MANIFESTS = "signing/cosign-registry/connaisseur/manifests";
const ALICE_SIG = `${MANIFESTS}/sha256-071bf7a986f1ca9cb2a1f0bc8392822a7777f90d58f2d2c6f271913e08de7c81.sig.json`;
const THREE_SIG = `${MANIFESTS}/sha256-bfec161fecb0a887df7cb85e4da327c65986ccda7060cf3cd92171c6c90d7533.sig.json`;
const KEYLESS_SIG = `${MANIFESTS}/sha256-31dc72a13a0c34b40eb95419d2b2fd67320c856baf3b72da518023ee8d370aee.sig.json`;
const IMAGE = `sha256:${"12".repeat(32)}`;
const SIG_A = Buffer.from("signature A").toString("base64");
const SIG_B = Buffer.from("signature B").toString("base64");

function read(relative: string): Buffer {
  return readFileSync(corpusPath(relative));
}

describe("attachment tags", () => {
  it("name the .sig and .att tags after the image digest", () => {
    assert.equal(signatureTag(IMAGE), `sha256-${"12".repeat(32)}.sig`);
    assert.equal(attestationTag(IMAGE), `sha256-${"12".repeat(32)}.att`);
    assert.throws(() => signatureTag("latest"), /"latest" is not a sha256 manifest digest/);
  });
});

describe("signature manifest config", () => {
  it("is byte for byte the config cosign pushed (1 and 3 layers)", {
    skip: skipWithoutCorpus(ALICE_SIG, THREE_SIG),
  }, () => {
    for (const file of [ALICE_SIG, THREE_SIG]) {
      const manifest = JSON.parse(read(file).toString());
      const config = attachmentConfig(manifest.layers.map((l: { digest: string }) => l.digest));
      assert.equal(config.length, manifest.config.size);
      assert.equal(sha256Digest(config), manifest.config.digest);
    }
  });
});

describe("parseSignatureManifest", () => {
  it("reads connaisseur's three-signature manifest", { skip: skipWithoutCorpus(THREE_SIG) }, () => {
    const { entries, problems } = parseSignatureManifest(read(THREE_SIG), "sha256-bfec….sig");
    assert.equal(problems.length, 0);
    assert.deepEqual(
      entries.map((e) => [e.index, e.digest, e.size]),
      [0, 1, 2].map((i) => [
        i,
        "sha256:7248e52a7da336ff63192f2c0a8f12562b0d5368e9cde6ab292cbb4604074f28",
        266,
      ]),
    );
    assert.ok(entries.every((e) => e.signatureB64.startsWith("MEYCIQ")));
  });

  it("keeps the certificate, chain and Rekor bundle of a keyless signature", {
    skip: skipWithoutCorpus(KEYLESS_SIG),
  }, () => {
    const { entries } = parseSignatureManifest(read(KEYLESS_SIG), "keyless");
    assert.equal(entries.length, 1);
    assert.match(entries[0]?.certificate ?? "", /BEGIN CERTIFICATE/);
    assert.match(entries[0]?.chain ?? "", /BEGIN CERTIFICATE/);
    assert.match(entries[0]?.rekorBundle ?? "", /SignedEntryTimestamp/);
  });

  it("reports each garbage layer and goes on with the others", () => {
    const good = {
      mediaType: SIMPLE_SIGNING_MEDIA_TYPE,
      size: 10,
      digest: IMAGE,
      annotations: { [SIGNATURE_ANNOTATION]: SIG_A },
    };
    const manifest = {
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      layers: [
        "garbage",
        { ...good, digest: "sha256:short" },
        { ...good, size: -1 },
        { ...good, mediaType: "text/plain" },
        { ...good, annotations: {} },
        { ...good, annotations: { [SIGNATURE_ANNOTATION]: "not base64!" } },
        { ...good, annotations: { [SIGNATURE_ANNOTATION]: SIG_A, other: 7 } },
        { ...good, size: 10 * 1024 * 1024 },
        good,
      ],
    };
    const { entries, problems } = parseSignatureManifest(
      Buffer.from(JSON.stringify(manifest)),
      "sha256-x.sig of r",
    );
    assert.deepEqual(
      entries.map((e) => e.index),
      [8],
    );
    assert.deepEqual(
      problems.map((p) => p.message),
      [
        "layer 0: not a descriptor object (sha256-x.sig of r)",
        'layer 1: digest "sha256:short" is not sha256:<64 hex> (sha256-x.sig of r)',
        "layer 2: size -1 is not a byte count (sha256-x.sig of r)",
        'layer 3: media type "text/plain" is not a cosign signature (sha256-x.sig of r)',
        `layer 4: no ${SIGNATURE_ANNOTATION} annotation (sha256-x.sig of r)`,
        `layer 5: ${SIGNATURE_ANNOTATION} is not base64 (sha256-x.sig of r)`,
        'layer 6: annotation "other" is not a string (sha256-x.sig of r)',
        "layer 7: 10485760 bytes, over the 262144-byte limit for this layer kind (sha256-x.sig of r)",
      ],
    );
    assert.deepEqual(
      problems.map((p) => p.path),
      [0, 1, 2, 3, 4, 5, 6, 7].map((i) => `layers[${i}]`),
    );
  });

  it("throws only when the document is not a manifest at all", () => {
    for (const [text, message] of [
      ["not json", /the manifest is not JSON/],
      ["[]", /not a JSON object/],
      ['{"schemaVersion":1,"layers":[]}', /schemaVersion is 1, not 2/],
      ['{"schemaVersion":2}', /no `layers` list/],
      [
        '{"schemaVersion":2,"mediaType":"toString","layers":[]}',
        /media type "toString" is not an OCI or Docker image manifest/,
      ],
      [
        '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}',
        /not an OCI or Docker image manifest/,
      ],
    ] as const) {
      assert.throws(
        () => parseSignatureManifest(Buffer.from(text), "tag t"),
        (e: Error) => message.test(e.message) && e.message.includes("(tag t)"),
      );
    }
  });
});

describe("appendSignatureLayer", () => {
  const payloadA = Buffer.from('{"a":1}');
  const payloadB = Buffer.from('{"b":2}');

  it("starts a manifest as cosign writes it, with the blobs to push", () => {
    const build = appendSignatureLayer(undefined, { payload: payloadA, signatureB64: SIG_A });
    const manifest = JSON.parse(build.manifest.toString());
    assert.deepEqual(Object.keys(manifest), ["schemaVersion", "mediaType", "config", "layers"]);
    assert.equal(manifest.config.mediaType, "application/vnd.oci.image.config.v1+json");
    assert.deepEqual(manifest.layers, [
      {
        mediaType: SIMPLE_SIGNING_MEDIA_TYPE,
        size: payloadA.length,
        digest: sha256Digest(payloadA),
        annotations: { [SIGNATURE_ANNOTATION]: SIG_A },
      },
    ]);
    assert.equal(build.manifestDigest, sha256Digest(build.manifest));
    assert.deepEqual(
      build.blobs.map((b) => b.digest),
      [sha256Digest(payloadA), manifest.config.digest],
    );
    assert.ok(build.added);
  });

  it("keeps existing layers, adds new ones and never duplicates an identical signature", () => {
    const first = appendSignatureLayer(undefined, { payload: payloadA, signatureB64: SIG_A });
    const second = appendSignatureLayer(first.manifest, { payload: payloadB, signatureB64: SIG_B });
    assert.equal(JSON.parse(second.manifest.toString()).layers.length, 2);
    const again = appendSignatureLayer(second.manifest, { payload: payloadA, signatureB64: SIG_A });
    assert.equal(again.added, false);
    assert.equal(again.manifestDigest, second.manifestDigest);
    assert.deepEqual(
      again.blobs.map((b) => b.digest),
      [second.config.digest],
    );
    // The same payload with another signature (another key) is a new layer.
    const other = appendSignatureLayer(second.manifest, { payload: payloadA, signatureB64: SIG_B });
    assert.equal(JSON.parse(other.manifest.toString()).layers.length, 3);
  });

  it("keeps layers other tools wrote (keyless annotations, unknown fields) untouched", {
    skip: skipWithoutCorpus(KEYLESS_SIG),
  }, () => {
    const existing = read(KEYLESS_SIG);
    const before = JSON.parse(existing.toString());
    const build = appendSignatureLayer(existing, { payload: payloadA, signatureB64: SIG_A });
    const after = JSON.parse(build.manifest.toString());
    assert.deepEqual(after.layers[0], before.layers[0]);
    assert.equal(after.layers.length, 2);
  });

  it("leaves out entries that are not descriptors, and says so", () => {
    const existing = Buffer.from(JSON.stringify({ schemaVersion: 2, layers: [{ junk: true }] }));
    const build = appendSignatureLayer(existing, { payload: payloadA, signatureB64: SIG_A }, "sha256-x.sig");
    assert.equal(JSON.parse(build.manifest.toString()).layers.length, 1);
    assert.deepEqual(
      build.dropped.map((p) => p.message),
      ["layer 0: no media type; left out of the new manifest (sha256-x.sig)"],
    );
  });

  it("refuses to append to something that is not a manifest, or a signature that is not base64", () => {
    assert.throws(
      () => appendSignatureLayer(Buffer.from("{}"), { payload: payloadA, signatureB64: SIG_A }),
      /Cannot add a signature: schemaVersion/,
    );
    assert.throws(
      () => appendSignatureLayer(undefined, { payload: payloadA, signatureB64: "@@" }),
      /not base64/,
    );
  });

  it("builds .att manifests with DSSE layers and reads them back", () => {
    const build = buildSignatureManifest([
      {
        payload: payloadA,
        signatureB64: "",
        mediaType: DSSE_MEDIA_TYPE,
        annotations: { predicateType: "https://slsa.dev/verification_summary/v1" },
      },
      { payload: payloadB, signatureB64: SIG_B },
    ]);
    const { entries, problems } = parseAttestationManifest(build.manifest, "sha256-x.att");
    assert.deepEqual(
      entries.map((e) => [e.index, e.predicateType]),
      [[0, "https://slsa.dev/verification_summary/v1"]],
    );
    assert.deepEqual(
      problems.map((p) => p.message),
      [`layer 1: media type "${SIMPLE_SIGNING_MEDIA_TYPE}" is not a DSSE envelope (sha256-x.att)`],
    );
    // cosign writes an empty signature annotation on attestation layers.
    assert.equal(JSON.parse(build.manifest.toString()).layers[0].annotations[SIGNATURE_ANNOTATION], "");
  });
});
