import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { corpusPath, skipWithoutCorpus } from "../../../test/support/corpus.js";
import { isCipError } from "../../model/index.js";
import { isKeylessError } from "./keyless-error.js";
import { MAX_BUNDLE_ENTRIES, parseSigstoreBundle, readSigstoreBundle } from "./read-sigstore-bundle.js";

const HAPPY = "signing/sigstore-bundles/conformance/happy-path-v0.3/bundle.sigstore.json";
const skip = skipWithoutCorpus(HAPPY);
const json = (value: unknown) => Buffer.from(JSON.stringify(value));

test("a bundle that is not JSON, or not an object, is CIP_PARSE naming the file", () => {
  for (const bytes of [Buffer.from("{"), Buffer.from("[]"), Buffer.from([0xff, 0xfe, 0x00])]) {
    assert.throws(
      () => parseSigstoreBundle(bytes, "x.sigstore.json"),
      (e: unknown) => isCipError(e) && e.code === "CIP_PARSE" && e.message.includes("(x.sigstore.json)"),
    );
  }
});

test("a JSON document that is not a bundle says what it lacks", () => {
  assert.throws(
    () => parseSigstoreBundle(json({ mediaType: "application/json" }), "b.json"),
    (e: unknown) =>
      isKeylessError(e) && e.check === "bundle" && /mediaType is "application\/json"/.test(e.message),
  );
  assert.throws(
    () => parseSigstoreBundle(json({ mediaType: "application/vnd.dev.sigstore.bundle.v0.3+json" }), "b.json"),
    (e: unknown) =>
      isKeylessError(e) && e.check === "bundle" && /lacks or has invalid .*content/.test(e.message),
  );
});

test("a missing file is CIP_FILE_READ", () => {
  assert.throws(
    () => readSigstoreBundle("/nonexistent/bundle.json"),
    (e: unknown) => isCipError(e) && e.code === "CIP_FILE_READ",
  );
});

test("the conformance happy-path bundle reads", { skip }, () => {
  const bundle = readSigstoreBundle(corpusPath(HAPPY));
  assert.equal(bundle.mediaType, "application/vnd.dev.sigstore.bundle+json;version=0.3");
  assert.equal(bundle.content.$case, "messageSignature");
});

test("more transparency-log entries than the limit are refused before any is verified", { skip }, () => {
  const document = JSON.parse(readFileSync(corpusPath(HAPPY), "utf8"));
  const entry = document.verificationMaterial.tlogEntries[0];
  document.verificationMaterial.tlogEntries = Array.from({ length: MAX_BUNDLE_ENTRIES + 1 }, () => entry);
  assert.throws(
    () => parseSigstoreBundle(json(document), "many.json"),
    (e: unknown) =>
      isKeylessError(e) && e.check === "bundle" && /33 transparency-log entries/.test(e.message),
  );
});

test("an inclusion proof without its checkpoint is refused as malformed, not a crash", { skip }, () => {
  const document = JSON.parse(readFileSync(corpusPath(HAPPY), "utf8"));
  delete document.verificationMaterial.tlogEntries[0].inclusionProof.checkpoint;
  document.mediaType = "application/vnd.dev.sigstore.bundle+json;version=0.1";
  assert.throws(
    () => parseSigstoreBundle(json(document), "nock.json"),
    (e: unknown) => isKeylessError(e) && e.check === "bundle" && /without its checkpoint/.test(e.message),
  );
});
