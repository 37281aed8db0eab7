import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { pathToFileURL } from "node:url";
import { readKeyFile, readPassphrase } from "../../src/cli/commands/keys.js";
import { keyFingerprint, loadPrivateKey, loadPublicKey } from "../../src/sign/keys/index.js";
import { REPO_ROOT } from "../support/corpus.js";

const scratch = mkdtempSync(join(tmpdir(), "cipolice-keys-cli-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

const TSX = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
const ENTRY = join(REPO_ROOT, "src/cli/entry.ts");

/** The environment without any passphrase variable, so each test says which it sets. */
function baseEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && name !== "CIPOLICE_PASSWORD" && name !== "COSIGN_PASSWORD") env[name] = value;
  }
  return { ...env, NO_COLOR: "1" };
}

/** Runs `cipolice` as a user would, from `cwd` (a fresh directory unless given), standard input not a TTY. */
function cipolice(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}) {
  const cwd = options.cwd ?? mkdtempSync(join(scratch, "run-"));
  const result = spawnSync(process.execPath, ["--import", TSX, ENTRY, ...args], {
    cwd,
    encoding: "utf8",
    env: { ...baseEnv(), ...options.env },
    input: "",
    timeout: 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, cwd };
}

const mode = (path: string) => statSync(path).mode & 0o777;
const fingerprintOf = (path: string, passphrase?: string) =>
  keyFingerprint(loadPrivateKey(readFileSync(path, "utf8"), passphrase, path));

describe("cipolice keys generate", () => {
  it("writes cosign.key (encrypted, 0600) and cosign.pub in the current directory, as cosign does", () => {
    const run = cipolice(["keys", "generate"], { env: { CIPOLICE_PASSWORD: "hunter2 and more" } });
    assert.equal(run.status, 0, run.stderr);
    const key = join(run.cwd, "cosign.key");
    const pub = join(run.cwd, "cosign.pub");
    assert.match(run.stdout, /^Private key written to cosign\.key\nPublic key written to cosign\.pub\n/);
    assert.equal(mode(key), 0o600);
    assert.equal(mode(pub) & 0o600, 0o600);
    const keyText = readFileSync(key, "utf8");
    assert.match(keyText, /^-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n/);
    const fingerprint = fingerprintOf(key, "hunter2 and more");
    assert.equal(keyFingerprint(loadPublicKey(readFileSync(pub, "utf8"), pub)), fingerprint);
    assert.match(run.stdout, new RegExp(`fingerprint .*: ${fingerprint}\\n$`));
    assert.throws(() => fingerprintOf(key, "hunter2"), /wrong passphrase/);
    assert.deepEqual(readdirSync(run.cwd).sort(), ["cosign.key", "cosign.pub"], "no temporary files left");
  });

  it("reads the first line of --passphrase-file, as skopeo's --sign-passphrase-file does", () => {
    const dir = mkdtempSync(join(scratch, "pf-"));
    writeFileSync(join(dir, "pass"), "first line pass\nsecond line\n");
    const run = cipolice(["keys", "generate", "--output-prefix", "release", "--passphrase-file", "pass"], {
      cwd: dir,
      env: { CIPOLICE_PASSWORD: "not this one" },
    });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /written to release\.key\n.*written to release\.pub\n/);
    assert.ok(fingerprintOf(join(dir, "release.key"), "first line pass"));
  });

  it("takes CIPOLICE_PASSWORD before COSIGN_PASSWORD, and COSIGN_PASSWORD alone", () => {
    const both = cipolice(["keys", "generate"], {
      env: { CIPOLICE_PASSWORD: "ours", COSIGN_PASSWORD: "cosign's" },
    });
    assert.equal(both.status, 0, both.stderr);
    assert.ok(fingerprintOf(join(both.cwd, "cosign.key"), "ours"));
    const cosignOnly = cipolice(["keys", "generate"], { env: { COSIGN_PASSWORD: "cosign's" } });
    assert.equal(cosignOnly.status, 0, cosignOnly.stderr);
    assert.ok(fingerprintOf(join(cosignOnly.cwd, "cosign.key"), "cosign's"));
  });

  it("an empty passphrase set on purpose (CIPOLICE_PASSWORD=) is used", () => {
    const run = cipolice(["keys", "generate"], { env: { CIPOLICE_PASSWORD: "" } });
    assert.equal(run.status, 0, run.stderr);
    const key = join(run.cwd, "cosign.key");
    assert.match(readFileSync(key, "utf8"), /ENCRYPTED SIGSTORE PRIVATE KEY/);
    assert.ok(fingerprintOf(key, ""));
  });

  it("without any passphrase and no terminal, exit 2 says how to give one, and writes nothing", () => {
    const run = cipolice(["keys", "generate"]);
    assert.equal(run.status, 2);
    assert.match(run.stderr, /error CIP_USAGE: Cannot generate a key pair: no passphrase was given/);
    assert.match(run.stderr, /hint: .*--passphrase-file FILE.*CIPOLICE_PASSWORD.*COSIGN_PASSWORD/);
    assert.deepEqual(readdirSync(run.cwd), []);
  });

  it("refuses to overwrite existing key files without --force, and replaces both with it", () => {
    const first = cipolice(["keys", "generate"], { env: { CIPOLICE_PASSWORD: "one" } });
    assert.equal(first.status, 0, first.stderr);
    const key = join(first.cwd, "cosign.key");
    const pub = join(first.cwd, "cosign.pub");
    const before = readFileSync(key, "utf8");
    const again = cipolice(["keys", "generate"], { cwd: first.cwd, env: { CIPOLICE_PASSWORD: "two" } });
    assert.equal(again.status, 2);
    assert.match(again.stderr, /Cannot generate a key pair: cosign\.key and cosign\.pub already exist/);
    assert.match(again.stderr, /--force/);
    assert.equal(readFileSync(key, "utf8"), before, "the old key is untouched");
    // One existing file is enough to refuse
    rmSync(pub);
    const onlyKey = cipolice(["keys", "generate"], { cwd: first.cwd, env: { CIPOLICE_PASSWORD: "two" } });
    assert.equal(onlyKey.status, 2);
    assert.match(onlyKey.stderr, /cosign\.key already exists/);
    assert.equal(existsSync(pub), false);
    // A loosened mode on the old file does not survive --force
    chmodSync(key, 0o644);
    const forced = cipolice(["keys", "generate", "--force"], {
      cwd: first.cwd,
      env: { CIPOLICE_PASSWORD: "two" },
    });
    assert.equal(forced.status, 0, forced.stderr);
    assert.equal(mode(key), 0o600);
    const fingerprint = fingerprintOf(key, "two");
    assert.equal(keyFingerprint(loadPublicKey(readFileSync(pub, "utf8"), pub)), fingerprint);
    assert.deepEqual(readdirSync(first.cwd).sort(), ["cosign.key", "cosign.pub"]);
  });

  it("--unencrypted writes a PKCS#8 key that loads without a passphrase", () => {
    const run = cipolice(["keys", "generate", "--unencrypted", "--output-prefix", "plain"]);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /Private key written to plain\.key \(unencrypted\)/);
    const key = join(run.cwd, "plain.key");
    assert.match(readFileSync(key, "utf8"), /^-----BEGIN PRIVATE KEY-----\n/);
    assert.equal(mode(key), 0o600);
    const pub = join(run.cwd, "plain.pub");
    assert.equal(fingerprintOf(key), keyFingerprint(loadPublicKey(readFileSync(pub, "utf8"), pub)));
    const both = cipolice(["keys", "generate", "--unencrypted", "--passphrase-file", "x"]);
    assert.equal(both.status, 2);
    assert.match(both.stderr, /Cannot use --unencrypted with --passphrase-file/);
  });

  it("a missing directory or passphrase file is exit 2 naming it, with nothing left behind", () => {
    const noDir = cipolice(["keys", "generate", "--output-prefix", "no/such/dir/k"], {
      env: { CIPOLICE_PASSWORD: "x" },
    });
    assert.equal(noDir.status, 2);
    assert.match(
      noDir.stderr,
      /error CIP_OUTPUT_WRITE: Cannot write the key pair: the directory of no\/such\/dir\/k\.key does not exist/,
    );
    const noFile = cipolice(["keys", "generate", "--passphrase-file", "missing.txt"]);
    assert.equal(noFile.status, 2);
    assert.match(noFile.stderr, /Cannot read passphrase file missing\.txt: no such file/);
    assert.deepEqual(readdirSync(noFile.cwd), []);
  });

  it("prompts twice without echo on a terminal, and refuses two different entries", {
    skip: existsSync("/usr/bin/script")
      ? false
      : "script(1) from util-linux is not installed to give a terminal",
  }, async () => {
    const dir = mkdtempSync(join(scratch, "tty-"));
    const mismatch = await typeAtPrompts(dir, ["typed secret", "other secret"]);
    assert.notEqual(mismatch.status, 0);
    assert.match(mismatch.output, /the two passphrases entered differ/);
    assert.equal(existsSync(join(dir, "cosign.key")), false);
    const ok = await typeAtPrompts(dir, ["typed secret", "typed secret"]);
    assert.equal(ok.status, 0, ok.output);
    assert.match(ok.output, /Enter passphrase for the private key: /);
    assert.doesNotMatch(ok.output, /typed secret/, "the passphrase is not echoed");
    assert.ok(fingerprintOf(join(dir, "cosign.key"), "typed secret"));
  });
});

describe("reading keys and passphrases for other commands", () => {
  it("a key file over 64 KiB is refused before it is read, naming the file", () => {
    const big = join(scratch, "big.key");
    writeFileSync(big, `-----BEGIN PRIVATE KEY-----\n${"A".repeat(70_000)}\n-----END PRIVATE KEY-----\n`);
    assert.throws(
      () => readKeyFile(big, "private key"),
      (error: { code?: string; message: string }) => {
        assert.equal(error.code, "CIP_INPUT_TOO_LARGE");
        assert.match(error.message, /^Cannot read private key .*big\.key: .*over the .* key file limit/);
        return true;
      },
    );
  });

  it("a passphrase file's first line is the passphrase, a file without newline whole, an empty one empty", async () => {
    const cases: Array<[string, string]> = [
      ["one\ntwo\n", "one"],
      ["no newline", "no newline"],
      ["", ""],
      ["  spaces kept  \n", "  spaces kept  "],
    ];
    for (const [content, expected] of cases) {
      const file = join(scratch, "pass-case");
      writeFileSync(file, content);
      const got = await readPassphrase({ passphraseFile: file, confirm: false, action: "Cannot test" });
      assert.equal(got, expected, JSON.stringify(content));
    }
  });
});

/**
 * Runs `cipolice keys generate` on a pseudo-terminal (script(1)) in `cwd` and types each line once the
 * prompt for it is shown, as a person would; resolves to the exit code and all the terminal showed.
 */
function typeAtPrompts(cwd: string, lines: string[]): Promise<{ status: number | null; output: string }> {
  const command = [process.execPath, "--import", TSX, ENTRY, "keys", "generate"].map(shellQuote).join(" ");
  const child = spawn("/usr/bin/script", ["-qfec", command, "/dev/null"], { cwd, env: baseEnv() });
  let output = "";
  let typed = 0;
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    output += chunk;
    const prompts = output.match(/Enter (passphrase for the private key|the passphrase again): /g) ?? [];
    while (typed < prompts.length && typed < lines.length) child.stdin.write(`${lines[typed++]}\r`);
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
  return new Promise((resolve) => {
    child.on("close", (status) => {
      clearTimeout(timer);
      resolve({ status, output });
    });
  });
}

function shellQuote(text: string): string {
  return `'${text.replaceAll("'", "'\\''")}'`;
}
