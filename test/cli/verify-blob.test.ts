import assert from "node:assert/strict";
import { test } from "node:test";
import { corpusPath, skipWithoutCorpus } from "../support/corpus.js";
import { type CliRun, runCli } from "../support/run-cli.js";

const B = "signing/sigstore-bundles";
const skip = skipWithoutCorpus(
  `${B}/conformance`,
  `${B}/trusted_root.prod.json`,
  `${B}/sigstore-js`,
  `${B}/cosign`,
);
const PROD = corpusPath(`${B}/trusted_root.prod.json`);
const A_TXT = corpusPath(`${B}/conformance/a.txt`);
const conformance = (name: string) => corpusPath(`${B}/conformance/${name}/bundle.sigstore.json`);
// SOURCES.md: the conformance suite's default signer
const BEACON = [
  "--certificate-identity",
  "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main",
  "--certificate-oidc-issuer",
  "https://token.actions.githubusercontent.com",
];

/** Runs `cipolice verify-blob …` in a child process. */
function verifyBlob(args: string[]): CliRun {
  return runCli(["verify-blob", ...args]);
}

test("a conformance happy path verifies: exit 0, signer, log entry and artifact digest", { skip }, () => {
  const run = verifyBlob([
    A_TXT,
    "--bundle",
    conformance("happy-path-v0.3"),
    "--trusted-root",
    PROD,
    ...BEACON,
  ]);
  assert.equal(run.status, 0, run.stderr + run.stdout);
  assert.match(run.stdout, /^verified: /);
  assert.match(run.stdout, /OIDC issuer https:\/\/token\.actions\.githubusercontent\.com/);
  assert.match(
    run.stdout,
    /transparency log: https:\/\/rekor\.sigstore\.dev entry \d+ \(hashedrekord 0\.0\.1\)/,
  );
  // SOURCES.md: a.txt's sha256
  assert.match(run.stdout, /artifact: sha256:a0cfc712/);
});

test("another artifact fails: exit 1 naming the artifact check", { skip }, () => {
  const run = verifyBlob([
    corpusPath(`${B}/conformance/wrong-material_fail/artifact`),
    "--bundle",
    conformance("wrong-material_fail"),
    "--trusted-root",
    PROD,
    ...BEACON,
  ]);
  assert.equal(run.status, 1, run.stderr);
  assert.match(
    run.stdout,
    /^not verified \(artifact\): Cannot verify the Sigstore bundle: the artifact is not the one signed/,
  );
});

test("a corrupted inclusion proof fails with exit 1 and JSON naming the check and library code", {
  skip,
}, () => {
  const run = verifyBlob([
    A_TXT,
    "--bundle",
    conformance("inclusion-proof-corrupted-hash_fail"),
    "--trusted-root",
    PROD,
    ...BEACON,
    "--format",
    "json",
  ]);
  assert.equal(run.status, 1, run.stderr);
  const out = JSON.parse(run.stdout);
  assert.equal(out.verified, false);
  assert.equal(out.check, "tlog-inclusion-proof");
  assert.equal(out.code, "CIP_SIGNATURE_INVALID");
  assert.equal(out.libraryCode, "TLOG_INCLUSION_PROOF_ERROR");
});

test("a sigstore-js DSSE bundle verifies without an artifact, and shows its statement", { skip }, () => {
  const bundle = corpusPath(`${B}/sigstore-js/bundleV03-intoto.sigstore`);
  const args = [
    "--bundle",
    bundle,
    "--trusted-root",
    PROD,
    "--certificate-oidc-issuer",
    "https://github.com/login/oauth",
  ];
  const run = verifyBlob([...args, "--certificate-identity", "brian@dehamer.com", "--format", "json"]);
  assert.equal(run.status, 0, run.stderr + run.stdout);
  const out = JSON.parse(run.stdout);
  assert.equal(out.verified, true);
  assert.equal(out.signer.subject, "brian@dehamer.com");
  assert.equal(out.dsse.payloadType, "application/vnd.in-toto+json");
  // SOURCES.md: the payload is statement.json, an npm publish attestation for pkg:npm/sigstore@1.0.0
  assert.equal(out.dsse.statement.subjects[0].name, "pkg:npm/sigstore@1.0.0");
  const wrong = verifyBlob([...args, "--certificate-identity", "mallory@example.com"]);
  assert.equal(wrong.status, 1);
  assert.match(
    wrong.stdout,
    /^not verified \(identity\): .*"brian@dehamer\.com" does not match the expected "mallory@example\.com"/,
  );
});

test("cosign's OCI attestation verifies for its image digest and not another's", { skip }, () => {
  const args = [
    "--bundle",
    corpusPath(`${B}/cosign/oci-attestation.sigstore.json`),
    "--trusted-root",
    corpusPath(`${B}/cosign/trusted_root_pgi.json`),
    "--certificate-identity",
    "cody@soyland.com",
    "--certificate-oidc-issuer-regexp",
    "^https://github\\.com/login/oauth$",
  ];
  const ok = verifyBlob([
    ...args,
    "--artifact-digest",
    "sha256:732112270d7e59418a8c080b134b24cabd67d250d0d0147a97ed95ba5c280aa4",
  ]);
  assert.equal(ok.status, 0, ok.stderr + ok.stdout);
  assert.match(
    ok.stdout,
    /transparency log: https:\/\/rekor\.sigstore\.dev entry 175508996 \(dsse 0\.0\.1\)/,
  );
  assert.match(ok.stdout, /predicate type: https:\/\/cosign\.sigstore\.dev\/attestation\/v1/);
  const other = verifyBlob([...args, "--artifact-digest", `sha256:${"1".repeat(64)}`]);
  assert.equal(other.status, 1);
  assert.match(other.stdout, /^not verified \(artifact\)/);
});

test("a managed-key bundle verifies with --key", { skip }, () => {
  const dir = `${B}/conformance/managed-key-happy-path`;
  const run = verifyBlob([
    A_TXT,
    "--bundle",
    corpusPath(`${dir}/bundle.sigstore.json`),
    "--trusted-root",
    PROD,
    "--key",
    corpusPath(`${dir}/key.pub`),
  ]);
  assert.equal(run.status, 0, run.stderr + run.stdout);
  assert.match(run.stdout, /signer: managed key [0-9a-f]{64}/);
});

test("without --trusted-root, or without an identity, it is a usage error (exit 2) saying what to give", {
  skip,
}, () => {
  const noRoot = verifyBlob([A_TXT, "--bundle", conformance("happy-path-v0.3"), ...BEACON]);
  assert.equal(noRoot.status, 2);
  assert.match(noRoot.stderr, /CIP_USAGE: Cannot verify the bundle: no trusted root was given/);
  assert.match(noRoot.stderr, /hint: .*TUF/);
  const noIdentity = verifyBlob([A_TXT, "--bundle", conformance("happy-path-v0.3"), "--trusted-root", PROD]);
  assert.equal(noIdentity.status, 2);
  assert.match(noIdentity.stderr, /CIP_USAGE: .*without --certificate-identity/);
});
