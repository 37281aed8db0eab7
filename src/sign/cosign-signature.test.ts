import assert from "node:assert/strict";
import { createPublicKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { corpusPath, skipWithoutCorpus } from "../../test/support/corpus.js";
import {
  type FetchedSignatureLayer,
  signPayload,
  verifySignatureLayer,
  verifySignatureLayers,
} from "./cosign-signature.js";
import { sha256Digest } from "./encoding.js";
import { parseSignatureManifest } from "./signature-manifest.js";
import { SIMPLE_SIGNING_MEDIA_TYPE, simpleSigningPayload } from "./simple-signing.js";

const CIMAGE = "signing/cosign-cimage";
const CONNAISSEUR = "signing/cosign-registry/connaisseur";

function publicKey(relative: string): KeyObject {
  return createPublicKey(readFileSync(corpusPath(relative)));
}

/** containers/image's on-disk sigstore attachment: `\0sigstore-json\n` then {mimeType, payload, annotations}. */
function readCimageSignature(relative: string): { mimeType: string; payload: Buffer; signatureB64: string } {
  const bytes = readFileSync(corpusPath(relative));
  const prefix = Buffer.from("\x00sigstore-json\n");
  assert.ok(bytes.subarray(0, prefix.length).equals(prefix), `${relative} is not a sigstore attachment`);
  const json = JSON.parse(bytes.subarray(prefix.length).toString());
  return {
    mimeType: json.mimeType,
    payload: Buffer.from(json.payload, "base64"),
    signatureB64: json.annotations["dev.cosignproject.cosign/signature"],
  };
}

function manifestDigest(relative: string): string {
  return sha256Digest(readFileSync(corpusPath(relative)));
}

describe("cosign signatures from containers/image's fixtures", () => {
  const VALID = `${CIMAGE}/dir-img-cosign-valid`;
  const skip = skipWithoutCorpus(`${VALID}/signature-1`, `${CIMAGE}/cosign.pub`);

  function check(signature: string, manifest: string, keys: string[]) {
    const sig = readCimageSignature(signature);
    return verifySignatureLayer({
      payload: sig.payload,
      signatureB64: sig.signatureB64,
      layerDigest: sha256Digest(sig.payload),
      publicKeys: keys.map((k) => ({ name: k, key: publicKey(`${CIMAGE}/${k}`) })),
      expectedDigest: manifestDigest(manifest),
    });
  }

  it("dir-img-cosign-valid verifies with cosign.pub and names the signed image", { skip }, () => {
    const verdict = check(`${VALID}/signature-1`, `${VALID}/manifest.json`, ["cosign2.pub", "cosign.pub"]);
    assert.ok(verdict.ok, JSON.stringify(verdict));
    assert.equal(verdict.keyName, "cosign.pub");
    assert.equal(verdict.payload.dockerReference, "192.168.64.2:5000/cosign-signed-single-sample");
    assert.equal(
      verdict.payload.manifestDigest,
      "sha256:634a8f35b5f16dcf4aaa0822adc0b1964bb786fca12f6831de8ddc45e5986a00",
    );
  });

  it("dir-img-cosign-valid-2's second signature verifies with cosign.pub, not cosign2.pub", { skip }, () => {
    const second = `${CIMAGE}/dir-img-cosign-valid-2/signature-2`;
    assert.ok(check(second, `${VALID}/manifest.json`, ["cosign.pub"]).ok);
    const verdict = check(second, `${VALID}/manifest.json`, ["cosign2.pub"]);
    assert.equal(verdict.ok, false);
  });

  it("dir-img-cosign-key-rekor-valid verifies with cosign2.pub", { skip }, () => {
    const dir = `${CIMAGE}/dir-img-cosign-key-rekor-valid`;
    const verdict = check(`${dir}/signature-1`, `${dir}/manifest.json`, ["cosign.pub", "cosign2.pub"]);
    assert.ok(verdict.ok && verdict.keyName === "cosign2.pub", JSON.stringify(verdict));
  });

  it("the valid signature on the modified manifest is refused as signed for another digest", { skip }, () => {
    const verdict = check(
      `${VALID}/signature-1`,
      `${CIMAGE}/dir-img-cosign-modified-manifest/manifest.json`,
      ["cosign.pub"],
    );
    assert.deepEqual(verdict, {
      ok: false,
      kind: "other-digest",
      reason:
        "signed for another image digest sha256:634a8f35b5f16dcf4aaa0822adc0b1964bb786fca12f6831de8ddc45e5986a00 (this image is sha256:d9dcafdb480aa7c475e91737b96925e45844213dcb0290b4a90017459121f71f)",
    });
  });

  it("a signature by an unknown key is refused as untrusted", { skip }, () => {
    const verdict = check(`${CIMAGE}/unknown-cosign-key.signature`, `${VALID}/manifest.json`, [
      "cosign.pub",
      "cosign2.pub",
      "rekor.pub",
    ]);
    assert.deepEqual(verdict, {
      ok: false,
      kind: "untrusted-signature",
      reason: "signature does not verify with any trusted key (cosign.pub, cosign2.pub, rekor.pub)",
    });
  });

  it("the other attachment (text/plain) is not a signature layer", { skip }, () => {
    const other = readCimageSignature(`${CIMAGE}/dir-img-cosign-other-attachment/signature-1`);
    const manifest = {
      schemaVersion: 2,
      layers: [
        {
          mediaType: other.mimeType,
          size: other.payload.length,
          digest: sha256Digest(other.payload),
          annotations: { "dev.cosignproject.cosign/signature": other.signatureB64 },
        },
      ],
    };
    const { entries, problems } = parseSignatureManifest(Buffer.from(JSON.stringify(manifest)), "other");
    assert.equal(entries.length, 0);
    assert.match(problems[0]?.message ?? "", /media type "text\/plain" is not a cosign signature/);
  });

  it("a reference check compares repositories (tags aside)", { skip }, () => {
    const sig = readCimageSignature(`${CIMAGE}/dir-img-cosign-valid-with-tag/signature-1`);
    const base = {
      payload: sig.payload,
      signatureB64: sig.signatureB64,
      layerDigest: sha256Digest(sig.payload),
      publicKeys: [{ name: "cosign", key: publicKey(`${CIMAGE}/cosign.pub`) }],
      expectedDigest: manifestDigest(`${VALID}/manifest.json`),
    };
    assert.ok(
      verifySignatureLayer({ ...base, expectedReference: "192.168.64.2:5000/skopeo-signed:othertag" }).ok,
    );
    const verdict = verifySignatureLayer({ ...base, expectedReference: "192.168.64.2:5000/elsewhere" });
    assert.equal(verdict.ok === false && verdict.kind, "other-reference");
  });
});

describe("cosign signatures in connaisseur's registry", () => {
  const THREE = "sha256-bfec161fecb0a887df7cb85e4da327c65986ccda7060cf3cd92171c6c90d7533";
  const ALICE = "sha256-071bf7a986f1ca9cb2a1f0bc8392822a7777f90d58f2d2c6f271913e08de7c81";
  const skip = skipWithoutCorpus(
    `${CONNAISSEUR}/manifests/${THREE}.sig.json`,
    `${CONNAISSEUR}/keys/alice.pub`,
  );
  const keys = (...names: string[]) =>
    names.map((name) => ({ name, key: publicKey(`${CONNAISSEUR}/keys/${name}.pub`) }));

  function layersOf(tag: string): FetchedSignatureLayer[] {
    const { entries, problems } = parseSignatureManifest(
      readFileSync(corpusPath(`${CONNAISSEUR}/manifests/${tag}.sig.json`)),
      tag,
    );
    assert.equal(problems.length, 0);
    return entries.map((e) => ({
      payload: readFileSync(corpusPath(`${CONNAISSEUR}/blobs/${e.digest.replace(":", "-")}.json`)),
      signatureB64: e.signatureB64,
      layerDigest: e.digest,
      where: `layer ${e.index}`,
    }));
  }

  it("multi-cosigned-alice verifies with alice only", { skip }, () => {
    const digest = manifestDigest(`${CONNAISSEUR}/manifests/multi-cosigned-alice.json`);
    assert.equal(`${digest.replace(":", "-")}`, ALICE);
    const [alice] = verifySignatureLayers(layersOf(ALICE), {
      publicKeys: keys("alice", "bob"),
      expectedDigest: digest,
    });
    assert.ok(alice?.ok && alice.keyName === "alice");
    const [bobOnly] = verifySignatureLayers(layersOf(ALICE), {
      publicKeys: keys("bob", "default"),
      expectedDigest: digest,
    });
    assert.equal(bobOnly?.ok === false && bobOnly.kind, "untrusted-signature");
  });

  it("with trust roots alice and bob, two of the three signatures count; charlie's is untrusted", {
    skip,
  }, () => {
    const digest = manifestDigest(`${CONNAISSEUR}/manifests/multi-cosigned-alice-bob-charlie.json`);
    const verdicts = verifySignatureLayers(layersOf(THREE), {
      publicKeys: keys("alice", "bob"),
      expectedDigest: digest,
      expectedReference: "docker.io/securesystemsengineering/testimage:multi-cosigned-alice-bob-charlie",
    });
    assert.deepEqual(
      verdicts.map((v) => (v.ok ? v.keyName : v.kind)),
      ["alice", "bob", "untrusted-signature"],
    );
    const all = verifySignatureLayers(layersOf(THREE), {
      publicKeys: keys("alice", "bob", "charlie"),
      expectedDigest: digest,
    });
    assert.deepEqual(
      all.map((v) => v.ok && v.keyName),
      ["alice", "bob", "charlie"],
    );
    const none = verifySignatureLayers(layersOf(THREE), {
      publicKeys: keys("default"),
      expectedDigest: digest,
    });
    assert.ok(none.every((v) => !v.ok));
  });
});

describe("tampering, each refused with its own reason", () => {
  const { privateKey, publicKey: pub } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const trusted = [{ name: "ci", key: pub }];
  const image = `sha256:${"a1".repeat(32)}`;
  const otherImage = `sha256:${"b2".repeat(32)}`;
  const payloadFor = (digest: string, note: string) =>
    simpleSigningPayload({
      dockerReference: "registry.test/app",
      manifestDigest: digest,
      annotations: { note },
    });

  function layer(payload: Buffer, where: string): FetchedSignatureLayer {
    return {
      payload,
      signatureB64: signPayload(payload, privateKey),
      layerDigest: sha256Digest(payload),
      where,
    };
  }

  it("sign then verify round-trips", () => {
    const verdict = verifySignatureLayer({
      ...layer(payloadFor(image, "x"), "layer 0"),
      publicKeys: trusted,
      expectedDigest: image,
    });
    assert.ok(verdict.ok && verdict.keyName === "ci" && verdict.payload.annotations.note === "x");
  });

  it("a flipped payload byte is a tampered payload", () => {
    const good = layer(payloadFor(image, "x"), "layer 0");
    const flipped = Buffer.from(good.payload);
    flipped.writeUInt8((flipped.at(-3) ?? 0) ^ 1, flipped.length - 3);
    const verdict = verifySignatureLayer({
      ...good,
      payload: flipped,
      publicKeys: trusted,
      expectedDigest: image,
    });
    assert.equal(verdict.ok === false && verdict.kind, "tampered-payload");
    assert.match(
      verdict.ok ? "" : verdict.reason,
      /^tampered payload \(digest mismatch with the layer\): the payload hashes to sha256:[0-9a-f]{64}, the layer names sha256:[0-9a-f]{64} \(layer 0\)$/,
    );
    // Re-hashing the layer too leaves the signature to catch it.
    const rehashed = verifySignatureLayer({
      ...good,
      payload: flipped,
      layerDigest: sha256Digest(flipped),
      publicKeys: trusted,
      expectedDigest: image,
    });
    assert.equal(rehashed.ok === false && rehashed.kind, "untrusted-signature");
  });

  it("signatures swapped between layers are reported as swapped", () => {
    const a = layer(payloadFor(image, "a"), "layer 0");
    const b = layer(payloadFor(image, "b"), "layer 1");
    const verdicts = verifySignatureLayers(
      [
        { ...a, signatureB64: b.signatureB64 },
        { ...b, signatureB64: a.signatureB64 },
      ],
      { publicKeys: trusted, expectedDigest: image },
    );
    assert.deepEqual(verdicts, [
      {
        ok: false,
        kind: "swapped-signature",
        reason: "swapped signature: it was made over the payload of layer 1, not this layer's (layer 0)",
      },
      {
        ok: false,
        kind: "swapped-signature",
        reason: "swapped signature: it was made over the payload of layer 0, not this layer's (layer 1)",
      },
    ]);
  });

  it("a valid signature for another digest is refused as such", () => {
    const verdict = verifySignatureLayer({
      ...layer(payloadFor(otherImage, "x"), "layer 0"),
      publicKeys: trusted,
      expectedDigest: image,
    });
    assert.deepEqual(verdict, {
      ok: false,
      kind: "other-digest",
      reason: `signed for another image digest ${otherImage} (this image is ${image}) (layer 0)`,
    });
  });

  it("a signed payload that is not simple signing, a garbage signature and no keys are each refused", () => {
    const junk = Buffer.from('{"hello":"world"}');
    const signed = verifySignatureLayer({
      ...layer(junk, "layer 0"),
      publicKeys: trusted,
      expectedDigest: image,
    });
    assert.equal(signed.ok === false && signed.kind, "invalid-payload");
    assert.match(
      signed.ok ? "" : signed.reason,
      /^signed by ci, but Cannot read the signature payload: no `critical` object/,
    );
    const garbage = verifySignatureLayer({
      ...layer(junk, "l"),
      signatureB64: "%%%",
      publicKeys: trusted,
      expectedDigest: image,
    });
    assert.equal(garbage.ok === false && garbage.kind, "bad-signature-encoding");
    const noKeys = verifySignatureLayer({ ...layer(junk, "l"), publicKeys: [], expectedDigest: image });
    assert.equal(noKeys.ok === false && noKeys.kind, "no-trusted-keys");
  });

  it("signing refuses a public key and unsupported key types", () => {
    assert.throws(() => signPayload(Buffer.from("x"), pub), /is a public key, not a private key/);
    const dh = generateKeyPairSync("x25519").privateKey;
    assert.throws(() => signPayload(Buffer.from("x"), dh), /keys of type x25519 are not supported/);
  });

  it("layers built by the manifest module verify end to end", () => {
    const payload = payloadFor(image, "e2e");
    const sig = signPayload(payload, privateKey);
    const manifest = {
      schemaVersion: 2,
      layers: [
        {
          mediaType: SIMPLE_SIGNING_MEDIA_TYPE,
          size: payload.length,
          digest: sha256Digest(payload),
          annotations: { "dev.cosignproject.cosign/signature": sig },
        },
      ],
    };
    const [entry] = parseSignatureManifest(Buffer.from(JSON.stringify(manifest)), "t").entries;
    assert.ok(entry);
    assert.ok(
      verifySignatureLayer({
        payload,
        signatureB64: entry.signatureB64,
        layerDigest: entry.digest,
        publicKeys: trusted,
        expectedDigest: image,
      }).ok,
    );
  });
});

describe("swap detection on many garbage layers", () => {
  it("stays bounded: 300 untrusted layers are refused quickly, none called swapped", () => {
    const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const trusted = [{ name: "ci", key: generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey }];
    const image = `sha256:${"a1".repeat(32)}`;
    const layers = Array.from({ length: 300 }, (_, i) => {
      const payload = simpleSigningPayload({
        dockerReference: "r/a",
        manifestDigest: image,
        annotations: { i: String(i) },
      });
      return { payload, signatureB64: signPayload(payload, privateKey), layerDigest: sha256Digest(payload) };
    });
    const started = performance.now();
    const verdicts = verifySignatureLayers(layers, { publicKeys: trusted, expectedDigest: image });
    const ms = performance.now() - started;
    assert.ok(verdicts.every((v) => !v.ok && v.kind === "untrusted-signature"));
    assert.ok(ms < 2000, `took ${ms} ms`);
  });
});
