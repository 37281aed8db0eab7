import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { corpusPath, skipWithoutCorpus } from "../../../test/support/corpus.js";
import { encryptCosignPrivateKey, generateSigningKeyPair, keyFingerprint, loadPrivateKey } from "./index.js";

// Go's x/crypto from Debian (golang-golang-x-crypto-dev), built in GOPATH mode: no module download
const GOPATH = "/usr/share/gocode";
const GO_SOURCE = join(dirname(fileURLToPath(import.meta.url)), "interop", "cosign-key.go");
const MISSING = !existsSync("/usr/bin/go")
  ? "the Go toolchain is not installed (Debian golang-go)"
  : !existsSync(join(GOPATH, "src/golang.org/x/crypto/nacl/secretbox"))
    ? "Go's x/crypto is not installed (Debian golang-golang-x-crypto-dev)"
    : false;

const scratch = mkdtempSync(join(tmpdir(), "cipolice-go-interop-"));
const tool = join(scratch, "cosign-key");
after(() => rmSync(scratch, { recursive: true, force: true }));

before(() => {
  if (MISSING) return;
  execFileSync("go", ["build", "-o", tool, GO_SOURCE], {
    env: {
      ...process.env,
      GO111MODULE: "off",
      GOPATH,
      GOCACHE: join(tmpdir(), "cipolice-go-build-cache"),
      GOFLAGS: "",
    },
    stdio: ["ignore", "ignore", "inherit"],
  });
});

/** The Go tool's answer: exit code, output and error text. */
function goTool(args: string[], passphrase: string) {
  const run = spawnSync(tool, args, {
    encoding: "utf8",
    env: { KEY_PASSPHRASE: passphrase },
    timeout: 30_000,
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe("cosign key format against Go's x/crypto (the primitives cosign is built on)", () => {
  const cases = [
    { scryptN: 65536, passphrase: "correct horse battery staple" },
    { scryptN: 32768, passphrase: "" },
    { scryptN: 131072, passphrase: "pässwörd 🔑" },
  ];
  for (const c of cases) {
    it(`a key CIPolicE encrypts (N=${c.scryptN}, passphrase ${JSON.stringify(c.passphrase)}) decrypts in Go to the same key`, {
      skip: MISSING,
    }, () => {
      const { privateKey } = generateSigningKeyPair();
      const file = join(scratch, `ours-${c.scryptN}.key`);
      writeFileSync(file, encryptCosignPrivateKey(privateKey, c.passphrase, { scryptN: c.scryptN }));
      const run = goTool(["decrypt", file], c.passphrase);
      assert.equal(run.status, 0, run.stderr);
      assert.equal(run.stdout.trim(), keyFingerprint(privateKey));
      const wrong = goTool(["decrypt", file], `${c.passphrase}x`);
      assert.equal(wrong.status, 1);
      assert.match(wrong.stderr, /decryption failed/);
    });
  }

  it("a key Go encrypts loads in CIPolicE to the same key", { skip: MISSING }, () => {
    const run = goTool(["encrypt"], "go made this");
    assert.equal(run.status, 0, run.stderr);
    const fingerprint = /fingerprint ([0-9a-f]{64})/.exec(run.stdout)?.[1];
    assert.ok(fingerprint, run.stdout);
    assert.equal(keyFingerprint(loadPrivateKey(run.stdout, "go made this", "go.key")), fingerprint);
  });

  it("Go reads the corpus's cosign key as CIPolicE does (a check of the checker)", {
    skip: MISSING || skipWithoutCorpus("signing/cosign-keys/podman/sigstore-key.key"),
  }, () => {
    const run = goTool(
      ["decrypt", corpusPath("signing/cosign-keys/podman/sigstore-key.key")],
      "sigstore pass",
    );
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stdout.trim(), "269af33e29d35e0fd11772e5b857920cb12cf731a06339b86a077697b0c8004b");
  });
});
