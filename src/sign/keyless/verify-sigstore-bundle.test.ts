import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { bundleFromJSON } from "@sigstore/bundle";
import { corpusPath, skipWithoutCorpus } from "../../../test/support/corpus.js";
import { isCipError } from "../../model/index.js";
import { isKeylessError, type KeylessCheck } from "./keyless-error.js";
import { readSigstoreBundle } from "./read-sigstore-bundle.js";
import { type LoadedTrustedRoot, readTrustedRoot } from "./trusted-root.js";
import { verifySigstoreBundle } from "./verify-sigstore-bundle.js";

const BUNDLES = "signing/sigstore-bundles";
const CONFORMANCE = `${BUNDLES}/conformance`;
const PROD_ROOT = `${BUNDLES}/trusted_root.prod.json`;
const skip = skipWithoutCorpus(CONFORMANCE, PROD_ROOT, `${BUNDLES}/sigstore-js`, `${BUNDLES}/cosign`);

// SOURCES.md: the conformance suite's default signer of its keyless cases
const CONFORMANCE_IDENTITY = {
  subject:
    "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main",
  issuer: "https://token.actions.githubusercontent.com",
};
// SOURCES.md: the signer of every sigstore-js bundle
const BRIAN = { subject: "brian@dehamer.com", issuer: "https://github.com/login/oauth" };

/**
 * The checks that may name each `_fail` case: SOURCES.md's computed facts list the failing checks of each
 * (several may fail; the first one met depends on the order of checks), mapped to our check names.
 */
const EXPECTED_FAILURES: Record<string, KeylessCheck[] | "key"> = {
  "bundle-from-wrong-instance_fail": ["tlog-set", "tlog-inclusion-proof", "certificate-chain"],
  // The case's point is a root certificate in the chain, which sigstore-js (and so this verifier) tolerates;
  // its identity differs too, and its inclusion proof has no checkpoint, which is refused as malformed first
  "bundle-with-root-cert_fail": ["bundle", "identity"],
  "checkpoint-wrong-roothash_fail": ["tlog-inclusion-proof"],
  "dsse-invalid-sig_fail": ["signature", "tlog-body"],
  "dsse-mismatch-envelope_fail": ["tlog-body"],
  "inclusion-proof-corrupted-hash_fail": ["tlog-inclusion-proof"],
  "incorrect-public-key_fail": ["tlog-body", "tlog-set", "tlog-inclusion-proof"],
  "intoto-expired-certificate_fail": ["certificate-validity"],
  // Its key.pub is deliberately corrupted: it does not parse
  "managed-key-wrong-key_fail": "key",
  "rekor2-dsse-invalid-sig_fail": ["signature", "tlog-body"],
  "set-invalid-signature_fail": ["tlog-set"],
  "signature-mismatch_fail": ["signature", "tlog-body"],
  "wrong-material_fail": ["artifact", "signature", "tlog-body"],
};

const roots = new Map<string, LoadedTrustedRoot>();
function root(relative: string): LoadedTrustedRoot {
  let loaded = roots.get(relative);
  if (!loaded) {
    loaded = readTrustedRoot(corpusPath(relative));
    roots.set(relative, loaded);
  }
  return loaded;
}

/** Verifies one conformance case as the suite says: its own root, artifact and key, else the defaults. */
function verifyCase(name: string) {
  const dir = `${CONFORMANCE}/${name}`;
  const own = (file: string) => existsSync(corpusPath(`${dir}/${file}`));
  const keyed = own("key.pub");
  return verifySigstoreBundle({
    bundle: readSigstoreBundle(corpusPath(`${dir}/bundle.sigstore.json`)),
    trustedRoot: root(own("trusted_root.json") ? `${dir}/trusted_root.json` : PROD_ROOT),
    artifact: readFileSync(corpusPath(own("artifact") ? `${dir}/artifact` : `${CONFORMANCE}/a.txt`)),
    ...(keyed
      ? { publicKey: readFileSync(corpusPath(`${dir}/key.pub`), "utf8") }
      : { identity: CONFORMANCE_IDENTITY }),
    where: name,
  });
}

function cases(): string[] {
  if (skip) return [];
  return readdirSync(corpusPath(CONFORMANCE), { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
}

describe("sigstore-conformance bundle-verify cases", { skip }, () => {
  test("all 20 cases are here, 13 of them must fail (SOURCES.md)", () => {
    const all = cases();
    assert.equal(all.length, 20);
    assert.equal(all.filter((c) => c.endsWith("_fail")).length, 13);
    assert.deepEqual(all.filter((c) => c.endsWith("_fail")).sort(), Object.keys(EXPECTED_FAILURES).sort());
  });

  for (const name of cases()) {
    if (!name.endsWith("_fail")) {
      test(`${name} verifies`, () => {
        const result = verifyCase(name);
        assert.ok(result.tlogEntries.length >= 1);
        assert.ok(result.timestamps.length >= 1, "verified at a signed time");
        if (result.signer.kind === "certificate") {
          assert.equal(result.signer.subject, CONFORMANCE_IDENTITY.subject);
          assert.equal(result.signer.issuer, CONFORMANCE_IDENTITY.issuer);
        }
        if (result.content === "message-signature") {
          // SOURCES.md: the default artifact a.txt has sha256 a0cfc712…
          assert.match(result.artifact?.digest ?? "", /^sha256:a0cfc712/);
        }
      });
      continue;
    }
    test(`${name} is refused for the right reason`, () => {
      const expected = EXPECTED_FAILURES[name];
      assert.throws(
        () => verifyCase(name),
        (error: unknown) => {
          assert.ok(isCipError(error), String(error));
          if (expected === "key") {
            assert.equal(error.code, "CIP_KEY_INVALID");
            assert.match(error.message, /public key/);
          } else {
            assert.ok(isKeylessError(error), String(error));
            assert.equal(error.code, "CIP_SIGNATURE_INVALID");
            assert.ok(expected?.includes(error.check), `${error.check} not in ${expected}: ${error.message}`);
            assert.ok(error.message.includes(`(${name})`) || error.message.includes(name), error.message);
          }
          return true;
        },
      );
    });
  }

  test("the managed-key bundle names its key by hint and fingerprint", () => {
    const result = verifyCase("managed-key-happy-path");
    assert.equal(result.signer.kind, "public-key");
    assert.equal(result.content, "message-signature");
    assert.equal(result.tlogEntries[0]?.log, "https://rekor.sigstore.dev");
  });

  test("a Rekor v2 entry (hashedrekord 0.0.2, no integrated time) is timed by its RFC 3161 timestamp", () => {
    for (const name of ["rekor2-happy-path", "rekor2-dsse-happy-path"]) {
      const result = verifyCase(name);
      assert.equal(result.tlogEntries[0]?.kind, "hashedrekord");
      assert.equal(result.tlogEntries[0]?.version, "0.0.2");
      assert.equal(result.tlogEntries[0]?.integratedTime, undefined);
      assert.deepEqual(
        result.timestamps.map((t) => t.source),
        ["timestamp-authority"],
      );
    }
  });

  test("the in-toto case binds the artifact through a statement subject", () => {
    const result = verifyCase("happy-path-intoto-in-dsse-v3");
    assert.equal(result.content, "dsse");
    assert.equal(result.dsse?.payloadType, "application/vnd.in-toto+json");
    assert.equal(result.artifact?.matchedBy, "statement-subject");
  });
});

describe("sigstore-js bundles against the production root", { skip }, () => {
  const files = skip
    ? []
    : readdirSync(corpusPath(`${BUNDLES}/sigstore-js`))
        .filter((f) => f.endsWith(".sigstore"))
        .sort();
  const statement = skip
    ? undefined
    : (JSON.parse(readFileSync(corpusPath(`${BUNDLES}/sigstore-js/statement.json`), "utf8")) as {
        predicateType: string;
        subject: unknown[];
      });

  test("all 9 are here", () => assert.equal(files.length, 9));

  for (const file of files) {
    const bundle = () => readSigstoreBundle(corpusPath(`${BUNDLES}/sigstore-js/${file}`));
    test(`${file} verifies for brian@dehamer.com though its certificate expired long ago`, () => {
      const result = verifySigstoreBundle({
        bundle: bundle(),
        trustedRoot: root(PROD_ROOT),
        identity: BRIAN,
      });
      assert.deepEqual(result.signer, { kind: "certificate", ...BRIAN });
      assert.equal(result.content, "dsse");
      // SOURCES.md: the DSSE payload of every sigstore-js bundle is statement.json
      assert.equal(result.dsse?.statement?.predicateType, statement?.predicateType);
      assert.deepEqual(result.dsse?.statement?.subjects, statement?.subject);
      assert.equal(result.tlogEntries[0]?.log, "https://rekor.sigstore.dev");
      // Fulcio certificates live ten minutes: the check ran at the log's time, not now
      assert.equal(result.timestamps[0]?.source, "transparency-log");
      assert.equal(result.timestamps[0]?.time, result.tlogEntries[0]?.integratedTime);
      assert.ok(Date.parse(result.timestamps[0]?.time ?? "") < Date.now() - 24 * 3600_000);
    });
    test(`${file} is refused for another identity`, () => {
      assert.throws(
        () =>
          verifySigstoreBundle({
            bundle: bundle(),
            trustedRoot: root(PROD_ROOT),
            identity: { subject: "someone@example.com", issuer: BRIAN.issuer },
          }),
        (error: unknown) =>
          isKeylessError(error) && error.check === "identity" && /brian@dehamer\.com/.test(error.message),
      );
    });
  }

  test("an issuer that differs is refused, also by pattern", () => {
    const bundle = readSigstoreBundle(corpusPath(`${BUNDLES}/sigstore-js/${files[0]}`));
    for (const identity of [
      { subject: BRIAN.subject, issuer: "https://accounts.google.com" },
      { subject: BRIAN.subject, issuerRegExp: "^https://accounts\\.google\\.com$" },
    ]) {
      assert.throws(
        () => verifySigstoreBundle({ bundle, trustedRoot: root(PROD_ROOT), identity }),
        (error: unknown) =>
          isKeylessError(error) && error.check === "identity" && /OIDC issuer/.test(error.message),
      );
    }
  });

  test("identity patterns are RE2, unanchored as cosign's, and refuse what RE2 cannot run", () => {
    const bundle = readSigstoreBundle(corpusPath(`${BUNDLES}/sigstore-js/${files[0]}`));
    const verify = (identity: object) =>
      verifySigstoreBundle({ bundle, trustedRoot: root(PROD_ROOT), identity });
    assert.equal(
      verify({ subjectRegExp: "@dehamer\\.com", issuer: BRIAN.issuer }).signer.kind,
      "certificate",
    );
    assert.equal(
      verify({ subjectRegExp: "^(b|r|i|a|n)+@dehamer\\.com$", issuerRegExp: "github" }).content,
      "dsse",
    );
    assert.throws(
      () => verify({ subjectRegExp: "^dehamer", issuer: BRIAN.issuer }),
      (e: unknown) => isKeylessError(e) && e.check === "identity",
    );
    assert.throws(
      () => verify({ subjectRegExp: "(b)\\1", issuer: BRIAN.issuer }),
      (e: unknown) => isCipError(e) && e.code === "CIP_REGEX_UNSUPPORTED",
    );
  });

  test("a certificate bundle needs both an identity and an issuer, and no key", () => {
    const bundle = readSigstoreBundle(corpusPath(`${BUNDLES}/sigstore-js/${files[0]}`));
    const usage = (e: unknown) => isCipError(e) && e.code === "CIP_USAGE";
    assert.throws(() => verifySigstoreBundle({ bundle, trustedRoot: root(PROD_ROOT) }), usage);
    assert.throws(
      () =>
        verifySigstoreBundle({ bundle, trustedRoot: root(PROD_ROOT), identity: { subject: BRIAN.subject } }),
      usage,
    );
    assert.throws(
      () =>
        verifySigstoreBundle({
          bundle,
          trustedRoot: root(PROD_ROOT),
          identity: { subject: BRIAN.subject, subjectRegExp: "x", issuer: BRIAN.issuer },
        }),
      usage,
    );
    const key = readFileSync(corpusPath(`${CONFORMANCE}/managed-key-happy-path/key.pub`), "utf8");
    assert.throws(
      () => verifySigstoreBundle({ bundle, trustedRoot: root(PROD_ROOT), identity: BRIAN, publicKey: key }),
      usage,
    );
  });

  test("a DSSE payload altered after signing is refused", () => {
    const json = JSON.parse(
      readFileSync(corpusPath(`${BUNDLES}/sigstore-js/bundleV03-intoto.sigstore`), "utf8"),
    ) as { dsseEnvelope: { payload: string } };
    const statementJson = JSON.parse(Buffer.from(json.dsseEnvelope.payload, "base64").toString("utf8"));
    statementJson.predicateType = "https://example.com/forged";
    json.dsseEnvelope.payload = Buffer.from(JSON.stringify(statementJson)).toString("base64");
    assert.throws(
      () =>
        verifySigstoreBundle({ bundle: bundleFromJSON(json), trustedRoot: root(PROD_ROOT), identity: BRIAN }),
      (e: unknown) => isKeylessError(e) && ["tlog-body", "signature"].includes(e.check),
    );
  });
});

describe("cosign's OCI attestation bundle with trusted_root_pgi.json", { skip }, () => {
  // SOURCES.md (pkg/cosign/verify_oci_test.go): the statement's subject is go-containerregistry's empty image
  const IMAGE = "sha256:732112270d7e59418a8c080b134b24cabd67d250d0d0147a97ed95ba5c280aa4";
  const verify = (options: { artifactDigest?: string; identity?: object }) =>
    verifySigstoreBundle({
      bundle: readSigstoreBundle(corpusPath(`${BUNDLES}/cosign/oci-attestation.sigstore.json`)),
      trustedRoot: root(`${BUNDLES}/cosign/trusted_root_pgi.json`),
      identity: { subject: "cody@soyland.com", issuer: "https://github.com/login/oauth" },
      ...options,
    });

  test("verifies for that image, with the facts SOURCES.md gives", () => {
    const result = verify({ artifactDigest: IMAGE });
    assert.deepEqual(result.signer, {
      kind: "certificate",
      subject: "cody@soyland.com",
      issuer: "https://github.com/login/oauth",
    });
    assert.equal(result.tlogEntries[0]?.logIndex, 175508996);
    assert.equal(result.tlogEntries[0]?.integratedTime, new Date(1740770291 * 1000).toISOString());
    assert.deepEqual(result.tlogEntries[0]?.proofs, ["signed-entry-timestamp", "inclusion-proof"]);
    assert.equal(result.dsse?.statement?.predicateType, "https://cosign.sigstore.dev/attestation/v1");
    assert.deepEqual(result.artifact, {
      digest: IMAGE,
      matchedBy: "statement-subject",
      subject: "127.0.0.1:60943/repo",
    });
  });

  test("fails for another image: the digest is in no subject of the statement", () => {
    assert.throws(
      () => verify({ artifactDigest: `sha256:${"0".repeat(64)}` }),
      (e: unknown) =>
        isKeylessError(e) && e.check === "artifact" && /none of the statement's 1 subject/.test(e.message),
    );
  });

  test("fails for the subject pattern `wrong`", () => {
    assert.throws(
      () =>
        verify({
          artifactDigest: IMAGE,
          identity: { subjectRegExp: "wrong", issuer: "https://github.com/login/oauth" },
        }),
      (e: unknown) => isKeylessError(e) && e.check === "identity",
    );
  });

  test("verifies with trusted_root.prod.json too: the same production instance", () => {
    const result = verifySigstoreBundle({
      bundle: readSigstoreBundle(corpusPath(`${BUNDLES}/cosign/oci-attestation.sigstore.json`)),
      trustedRoot: root(PROD_ROOT),
      identity: { subject: "cody@soyland.com", issuer: "https://github.com/login/oauth" },
      artifactDigest: IMAGE,
    });
    assert.equal(result.signer.kind, "certificate");
  });

  test("a staging root refuses the production bundle", () => {
    assert.throws(
      () =>
        verifySigstoreBundle({
          bundle: readSigstoreBundle(corpusPath(`${BUNDLES}/cosign/oci-attestation.sigstore.json`)),
          trustedRoot: root(`${CONFORMANCE}/rekor2-happy-path/trusted_root.json`),
          identity: { subject: "cody@soyland.com", issuer: "https://github.com/login/oauth" },
        }),
      (e: unknown) =>
        isKeylessError(e) && ["certificate-chain", "tlog-set", "tlog-inclusion-proof"].includes(e.check),
    );
  });
});

test("the trusted roots in the corpus all load", { skip }, () => {
  const loaded = readTrustedRoot(corpusPath(PROD_ROOT));
  assert.ok(loaded.root.tlogs.some((t) => t.baseUrl === "https://rekor.sigstore.dev"));
  assert.ok(loaded.material.certificateAuthorities.length >= 1);
  assert.equal(loaded.where, corpusPath(PROD_ROOT));
});
