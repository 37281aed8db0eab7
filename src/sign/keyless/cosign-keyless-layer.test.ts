import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { parse } from "yaml";
import { corpusPath, skipWithoutCorpus } from "../../../test/support/corpus.js";
import { parseSignatureManifest, type SignatureEntry } from "../signature-manifest.js";
import { verifyCosignKeylessLayer } from "./cosign-keyless-layer.js";
import { isKeylessError } from "./keyless-error.js";
import { trustedRootFromKeys } from "./trusted-root-from-keys.js";

const C = "signing/cosign-registry/connaisseur";
const SIG = `${C}/manifests/sha256-31dc72a13a0c34b40eb95419d2b2fd67320c856baf3b72da518023ee8d370aee.sig.json`;
const BLOB = `${C}/blobs/sha256-897d9e862b4599b723442f36ed7b4cfd1628bb7656643c56855988cac161d065.json`;
const CONFIG = `${C}/config/11_keyless.yaml`;
const skip = skipWithoutCorpus(SIG, BLOB, CONFIG);

describe("Connaisseur's keyless cosign signature (11_keyless.yaml)", { skip }, () => {
  const load = () => {
    const config = parse(readFileSync(corpusPath(CONFIG), "utf8")) as {
      host: { rekorPubkey: string; ctLogPubkey: string; fulcioCert: string };
      trustRoots: {
        name: string;
        keyless: { issuerRegex?: string; subjectRegex?: string; subject?: string };
      }[];
    };
    const trustedRoot = trustedRootFromKeys(
      {
        fulcioCertificates: config.host.fulcioCert,
        rekorKeys: [config.host.rekorPubkey],
        ctLogKeys: [config.host.ctLogPubkey],
      },
      CONFIG,
    );
    const parsed = parseSignatureManifest(readFileSync(corpusPath(SIG)), SIG);
    assert.equal(parsed.problems.length, 0);
    const entry = parsed.entries[0] as SignatureEntry;
    const identityOf = (name: string) => {
      const k = config.trustRoots.find((t) => t.name === name)?.keyless ?? {};
      return {
        ...(k.subject === undefined ? {} : { subject: k.subject }),
        ...(k.subjectRegex === undefined ? {} : { subjectRegExp: k.subjectRegex }),
        ...(k.issuerRegex === undefined ? {} : { issuerRegExp: k.issuerRegex }),
      };
    };
    return { trustedRoot, entry, identityOf, payload: readFileSync(corpusPath(BLOB)) };
  };

  test("trust root philipp-keyless passes, with the facts SOURCES.md gives", () => {
    const { trustedRoot, entry, identityOf, payload } = load();
    const result = verifyCosignKeylessLayer({
      entry,
      payload,
      trustedRoot,
      identity: identityOf("philipp-keyless"),
      where: "layers[0]",
    });
    assert.deepEqual(result.signer, {
      kind: "certificate",
      subject: "philipp.belitz@securesystems.de",
      issuer: "https://github.com/login/oauth",
    });
    assert.equal(result.tlogEntries[0]?.logIndex, 98235800);
    assert.equal(result.tlogEntries[0]?.integratedTime, new Date(1717082297 * 1000).toISOString());
    assert.deepEqual(result.tlogEntries[0]?.proofs, ["signed-entry-timestamp"]);
    // SOURCES.md: the hashedrekord hash is the payload blob's digest
    assert.equal(
      result.artifact?.digest,
      "sha256:897d9e862b4599b723442f36ed7b4cfd1628bb7656643c56855988cac161d065",
    );
  });

  test("trust root bob-keyless fails: the identity does not match", () => {
    const { trustedRoot, entry, identityOf, payload } = load();
    assert.throws(
      () =>
        verifyCosignKeylessLayer({
          entry,
          payload,
          trustedRoot,
          identity: identityOf("bob-keyless"),
          where: "l0",
        }),
      (e: unknown) => isKeylessError(e) && e.check === "identity",
    );
  });

  test("another payload, a missing Rekor bundle, or a chain that is not the CA's are refused", () => {
    const { trustedRoot, entry, identityOf, payload } = load();
    const identity = identityOf("philipp-keyless");
    const other = Buffer.from(payload.toString("utf8").replace("rekor-test", "rekor-tesT"));
    assert.throws(
      () => verifyCosignKeylessLayer({ entry, payload: other, trustedRoot, identity, where: "l0" }),
      (e: unknown) => isKeylessError(e) && e.check === "artifact",
    );
    const noBundle = { ...entry, rekorBundle: undefined } as SignatureEntry;
    assert.throws(
      () => verifyCosignKeylessLayer({ entry: noBundle, payload, trustedRoot, identity, where: "l0" }),
      (e: unknown) => isKeylessError(e) && e.check === "bundle" && /Rekor bundle/.test(e.message),
    );
    // Without its intermediate the certificate reaches no authority of the root
    const noChain = { ...entry, chain: undefined } as SignatureEntry;
    assert.throws(
      () => verifyCosignKeylessLayer({ entry: noChain, payload, trustedRoot, identity, where: "l0" }),
      (e: unknown) => isKeylessError(e) && e.check === "certificate-chain",
    );
    // The leaf itself offered as "intermediate" is not a CA and is not trusted
    const leafAsChain = { ...entry, chain: entry.certificate } as SignatureEntry;
    assert.throws(
      () => verifyCosignKeylessLayer({ entry: leafAsChain, payload, trustedRoot, identity, where: "l0" }),
      (e: unknown) => isKeylessError(e) && e.check === "certificate-chain",
    );
  });

  test("a Rekor key other than the log's fails the SET", () => {
    const { entry, identityOf, payload } = load();
    const config = parse(readFileSync(corpusPath(CONFIG), "utf8")) as {
      host: { ctLogPubkey: string; fulcioCert: string };
    };
    // The CT log key is a valid key, but not the one that signed the entry
    const trustedRoot = trustedRootFromKeys(
      {
        fulcioCertificates: config.host.fulcioCert,
        rekorKeys: [config.host.ctLogPubkey],
        ctLogKeys: [config.host.ctLogPubkey],
      },
      "swapped",
    );
    assert.throws(
      () =>
        verifyCosignKeylessLayer({
          entry,
          payload,
          trustedRoot,
          identity: identityOf("philipp-keyless"),
          where: "l0",
        }),
      (e: unknown) => isKeylessError(e) && e.check === "tlog-set",
    );
  });
});
