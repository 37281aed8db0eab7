import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { corpusPath, skipWithoutCorpus } from "../../../test/support/corpus.js";
import { isCipError } from "../../model/index.js";
import { isKeylessError } from "./keyless-error.js";
import { MAX_TRUSTED_ROOT_BYTES, parseTrustedRoot, readTrustedRoot, tlogBaseUrl } from "./trusted-root.js";

const PROD = "signing/sigstore-bundles/trusted_root.prod.json";
const skip = skipWithoutCorpus(PROD);
const json = (value: unknown) => Buffer.from(JSON.stringify(value));

test("the production trusted root loads: Rekor v1 and v2 logs, Fulcio, CT logs, TSA", { skip }, () => {
  const { root, material } = readTrustedRoot(corpusPath(PROD));
  assert.deepEqual(
    root.tlogs.map((t) => t.baseUrl),
    ["https://rekor.sigstore.dev", "https://log2025-1.rekor.sigstore.dev"],
  );
  assert.ok(material.certificateAuthorities.length >= 1);
  assert.ok(material.ctlogs.length >= 1);
  assert.equal(
    tlogBaseUrl(root, Buffer.from("wNI9atQGlz+VWfO6LRygH4QUfY/8W4RFwiT5i5WRgB0=", "base64")),
    "https://rekor.sigstore.dev",
  );
  assert.equal(tlogBaseUrl(root, Buffer.alloc(32)), undefined);
});

test("a document that is not a trusted root is refused with what is wrong", () => {
  assert.throws(
    () => parseTrustedRoot(Buffer.from("nope"), "r.json"),
    (e: unknown) => isCipError(e) && e.code === "CIP_PARSE",
  );
  assert.throws(
    () => parseTrustedRoot(json({ mediaType: "application/vnd.dev.sigstore.bundle.v0.3+json" }), "r.json"),
    (e: unknown) => isKeylessError(e) && e.check === "trusted-root" && /mediaType/.test(e.message),
  );
  assert.throws(
    () =>
      parseTrustedRoot(
        json({
          mediaType: "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
          tlogs: [{ baseUrl: "x" }],
        }),
        "r.json",
      ),
    (e: unknown) => isKeylessError(e) && /tlogs\[0\] has no public key/.test(e.message),
  );
});

test("a damaged key in a trusted root is refused at load", { skip }, () => {
  const document = JSON.parse(readFileSync(corpusPath(PROD), "utf8"));
  document.tlogs[0].publicKey.rawBytes = Buffer.from("not a key").toString("base64");
  assert.throws(
    () => parseTrustedRoot(json(document), "damaged.json"),
    (e: unknown) =>
      isKeylessError(e) && e.code === "CIP_TRUST_ROOT_INVALID" && /cannot be read/.test(e.message),
  );
});

test("a trusted root over the size limit is refused without parsing", () => {
  const path = join(mkdtempSync(join(tmpdir(), "cipolice-root-")), "big.json");
  writeFileSync(path, Buffer.alloc(MAX_TRUSTED_ROOT_BYTES + 1, 0x20));
  assert.throws(
    () => readTrustedRoot(path),
    (e: unknown) => isCipError(e) && e.code === "CIP_INPUT_TOO_LARGE",
  );
});
