import assert from "node:assert/strict";
import { createPublicKey, generateKeyPairSync, randomBytes, scryptSync } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import nacl from "tweetnacl";
import { corpusPath, skipWithoutCorpus } from "../../../test/support/corpus.js";
import {
  COSIGN_ENCRYPTED_PEM_TYPE,
  encryptCosignPrivateKey,
  generateSigningKeyPair,
  KEY_ERROR_CODE,
  keyFingerprint,
  loadPrivateKey,
  loadPublicKey,
  privateKeyPem,
  publicKeyPem,
  SIGSTORE_ENCRYPTED_PEM_TYPE,
  writePemBlock,
} from "./index.js";

const KEYS = "signing/cosign-keys";

/** The corpus keys, their published passwords, the .pub beside them and the SPKI sha256 SOURCES.md computed. */
const CORPUS_KEYS = [
  {
    key: `${KEYS}/podman/sigstore-key.key`,
    password: "sigstore pass",
    wrong: "sigstore passx",
    pub: `${KEYS}/podman/sigstore-key.pub`,
    fingerprint: "269af33e29d35e0fd11772e5b857920cb12cf731a06339b86a077697b0c8004b",
  },
  {
    key: `${KEYS}/policy-controller/cosign.key`,
    password: "",
    wrong: "x",
    pub: `${KEYS}/policy-controller/cosign.pub`,
    fingerprint: "4b1bb87f1445d86155fa6290b8bc656f26a3695a3521199b71db86a1e694c132",
  },
  {
    key: `${KEYS}/sigstore-rs/cosign_generated_encrypted_empty_private.key`,
    password: "",
    wrong: "x",
    fingerprint: "0d8cd6794def5c5e3b42f37bf6ee29bb252ce269771cf3c0785d92fca7be586f",
  },
  {
    key: `${KEYS}/sigstore-rs/ecdsa_encrypted_private.key`,
    password: "123",
    wrong: "123x",
    fingerprint: "00208863d9785226df9ad68ceb2ad5b43f1f5ddd686147f25116ee088726eb6d",
  },
];

const read = (relative: string) => readFileSync(corpusPath(relative), "utf8");

/** Asserts a key error: our code, a "Cannot …" message matching `pattern`, and a hint. */
function keyRefusal(pattern: RegExp) {
  return (error: { code?: string; message: string; hint?: string }) => {
    assert.equal(error.code, KEY_ERROR_CODE, error.message);
    assert.match(error.message, /^Cannot /);
    assert.match(error.message, pattern);
    assert.ok(error.hint, "a key error says what to do");
    return true;
  };
}

/** A cosign-format encrypted key file whose JSON body is `body` (for damaged and hostile files). */
function encryptedKeyFile(body: unknown, type = SIGSTORE_ENCRYPTED_PEM_TYPE): string {
  return writePemBlock(type, Buffer.from(JSON.stringify(body), "utf8"));
}

/** Encrypts any plaintext in cosign's format (scrypt N=32768 → secretbox), as cosign would for other key kinds. */
function encryptRaw(plaintext: Buffer, passphrase: string): string {
  const salt = randomBytes(32);
  const nonce = randomBytes(24);
  const key = scryptSync(passphrase, salt, 32, { N: 32768, r: 8, p: 1, maxmem: 64 * 1024 * 1024 });
  const box = nacl.secretbox(plaintext, nonce, key);
  return encryptedKeyFile({
    kdf: { name: "scrypt", params: { N: 32768, r: 8, p: 1 }, salt: salt.toString("base64") },
    cipher: { name: "nacl/secretbox", nonce: nonce.toString("base64") },
    ciphertext: Buffer.from(box).toString("base64"),
  });
}

function bodyOf(pem: string): Record<string, Record<string, unknown>> {
  const base64 = pem.split("\n").slice(1, -2).join("");
  return JSON.parse(Buffer.from(base64, "base64").toString("utf8"));
}

describe("corpus cosign keys", () => {
  for (const c of CORPUS_KEYS) {
    const needed = c.pub ? [c.key, c.pub] : [c.key];
    it(`${c.key} loads with its published password and matches its public key`, {
      skip: skipWithoutCorpus(...needed),
    }, () => {
      const key = loadPrivateKey(read(c.key), c.password, c.key);
      assert.equal(key.type, "private");
      assert.equal(keyFingerprint(key), c.fingerprint);
      if (c.pub) {
        const pub = loadPublicKey(read(c.pub), c.pub);
        const der = (k: typeof key) => createPublicKey(k).export({ format: "der", type: "spki" });
        assert.deepEqual(der(key), pub.export({ format: "der", type: "spki" }));
        assert.equal(publicKeyPem(key), publicKeyPem(pub));
      }
    });

    it(`${c.key} refuses a wrong password`, { skip: skipWithoutCorpus(c.key) }, () => {
      assert.throws(
        () => loadPrivateKey(read(c.key), c.wrong, c.key),
        keyRefusal(/^Cannot decrypt private key .*: wrong passphrase \(or the key file is damaged\)$/),
      );
    });
  }

  it("an encrypted key without a passphrase is refused, saying how to give one", {
    skip: skipWithoutCorpus(`${KEYS}/podman/sigstore-key.key`),
  }, () => {
    assert.throws(
      () => loadPrivateKey(read(`${KEYS}/podman/sigstore-key.key`), undefined, "sigstore-key.key"),
      (error: { message: string; hint?: string }) => {
        assert.match(error.message, /encrypted and no passphrase was given/);
        assert.match(error.hint ?? "", /COSIGN_PASSWORD/);
        return true;
      },
    );
  });

  it("a truncated key file is refused as truncated, a cut body as damaged", {
    skip: skipWithoutCorpus(`${KEYS}/podman/sigstore-key.key`),
  }, () => {
    const text = read(`${KEYS}/podman/sigstore-key.key`);
    const half = text.slice(0, Math.floor(text.length / 2));
    assert.throws(() => loadPrivateKey(half, "sigstore pass", "half.key"), keyRefusal(/truncated/));
    // A body missing its last lines keeps the END line: the base64 or the JSON inside is then broken
    const lines = text.trimEnd().split("\n");
    const cut = [...lines.slice(0, 4), lines.at(-1)].join("\n");
    assert.throws(() => loadPrivateKey(cut, "sigstore pass", "cut.key"), keyRefusal(/damaged/));
  });
});

describe("round trip", () => {
  it("generate → encrypt → load gives the same key, in the PEM type current cosign writes", () => {
    const { privateKey, publicKey } = generateSigningKeyPair();
    const pem = encryptCosignPrivateKey(privateKey, "correct horse");
    assert.match(pem, /^-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n/);
    assert.match(pem, /\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n$/);
    const body = bodyOf(pem);
    assert.deepEqual(body.kdf?.params, { N: 65536, r: 8, p: 1 });
    assert.equal(Buffer.from(String(body.kdf?.salt), "base64").length, 32);
    assert.equal(Buffer.from(String(body.cipher?.nonce), "base64").length, 24);
    const loaded = loadPrivateKey(pem, "correct horse", "generated.key");
    assert.equal(keyFingerprint(loaded), keyFingerprint(publicKey));
    assert.throws(
      () => loadPrivateKey(pem, "correct horsE", "generated.key"),
      keyRefusal(/wrong passphrase/),
    );
  });

  it("an empty passphrase and the older COSIGN PEM type both load", () => {
    const { privateKey } = generateSigningKeyPair();
    const pem = encryptCosignPrivateKey(privateKey, "", { scryptN: 32768 });
    const older = pem.replaceAll(SIGSTORE_ENCRYPTED_PEM_TYPE, COSIGN_ENCRYPTED_PEM_TYPE);
    assert.equal(keyFingerprint(loadPrivateKey(older, "", "older.key")), keyFingerprint(privateKey));
    assert.throws(() => loadPrivateKey(older, " ", "older.key"), keyRefusal(/wrong passphrase/));
  });

  it("a non-ASCII passphrase is used as its UTF-8 bytes", () => {
    const { privateKey } = generateSigningKeyPair();
    const pem = encryptCosignPrivateKey(privateKey, "pässwörd 🔑", { scryptN: 32768 });
    assert.equal(keyFingerprint(loadPrivateKey(pem, "pässwörd 🔑", "k")), keyFingerprint(privateKey));
  });

  it("unencrypted PKCS#8 and SEC 1 keys load without a passphrase", () => {
    const { privateKey } = generateSigningKeyPair();
    const pkcs8 = privateKeyPem(privateKey);
    assert.match(pkcs8, /^-----BEGIN PRIVATE KEY-----\n/);
    assert.equal(keyFingerprint(loadPrivateKey(pkcs8, undefined, "p8.key")), keyFingerprint(privateKey));
    const sec1 = privateKey.export({ format: "pem", type: "sec1" }).toString();
    assert.match(sec1, /^-----BEGIN EC PRIVATE KEY-----\n/);
    assert.equal(keyFingerprint(loadPrivateKey(sec1, undefined, "sec1.key")), keyFingerprint(privateKey));
  });

  it("scrypt N values cosign cannot read are not written", () => {
    const { privateKey } = generateSigningKeyPair();
    assert.throws(
      () => encryptCosignPrivateKey(privateKey, "x", { scryptN: 1024 }),
      keyRefusal(/N=1024 is not one cosign can read/),
    );
  });
});

describe("unsupported keys", () => {
  const cases = [
    { name: "P-384", pair: () => generateKeyPairSync("ec", { namedCurve: "P-384" }), what: /ECDSA P-384/ },
    { name: "P-521", pair: () => generateKeyPairSync("ec", { namedCurve: "P-521" }), what: /ECDSA P-521/ },
    {
      name: "RSA",
      pair: () => generateKeyPairSync("rsa", { modulusLength: 2048 }),
      what: /RSA key \(2048 bits\)/,
    },
    { name: "Ed25519", pair: () => generateKeyPairSync("ed25519"), what: /Ed25519/ },
  ];
  for (const c of cases) {
    it(`a ${c.name} key is refused, naming its kind and what is supported`, () => {
      const { privateKey, publicKey } = c.pair();
      const only = /only ECDSA P-256 keys are supported/;
      const pkcs8 = privateKey.export({ format: "pem", type: "pkcs8" }).toString();
      assert.throws(() => loadPrivateKey(pkcs8, undefined, "k.key"), keyRefusal(c.what));
      assert.throws(() => loadPrivateKey(pkcs8, undefined, "k.key"), keyRefusal(only));
      const spki = publicKey.export({ format: "pem", type: "spki" }).toString();
      assert.throws(() => loadPublicKey(spki, "k.pub"), keyRefusal(c.what));
      assert.throws(() => encryptCosignPrivateKey(privateKey, "x"), keyRefusal(only));
    });
  }

  it("encrypted cosign keys holding a P-384 or an RSA key are refused after decryption", () => {
    const p384 = generateKeyPairSync("ec", { namedCurve: "P-384" }).privateKey;
    const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
    for (const [key, what] of [
      [p384, /ECDSA P-384/],
      [rsa, /RSA key/],
    ] as const) {
      const pem = encryptRaw(key.export({ format: "der", type: "pkcs8" }), "pw");
      assert.throws(() => loadPrivateKey(pem, "pw", "other.key"), keyRefusal(what));
    }
    const pkcs1 = rsa.export({ format: "pem", type: "pkcs1" }).toString();
    assert.throws(() => loadPrivateKey(pkcs1, undefined, "rsa.key"), keyRefusal(/RSA key/));
  });
});

describe("damaged and hostile files", () => {
  const wellFormed = () =>
    bodyOf(encryptCosignPrivateKey(generateSigningKeyPair().privateKey, "pw", { scryptN: 32768 }));

  it("hostile scrypt parameters are refused before any scrypt runs", () => {
    const hostile = [
      { N: 2 ** 22, r: 8, p: 1, why: /power of two up to 2\^20/ },
      { N: 2 ** 20, r: 8, p: 1, why: /1024 MiB of memory, over the 256 MiB limit/ },
      { N: 2 ** 15, r: 8, p: 2 ** 20, why: /too long/ },
      { N: 65535, r: 8, p: 1, why: /power of two/ },
      { N: 2 ** 16, r: 2 ** 40, p: 1, why: /memory/ },
    ];
    for (const h of hostile) {
      const body = wellFormed();
      (body.kdf as Record<string, unknown>).params = { N: h.N, r: h.r, p: h.p };
      const started = process.hrtime.bigint();
      assert.throws(() => loadPrivateKey(encryptedKeyFile(body), "pw", "hostile.key"), keyRefusal(h.why));
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      assert.ok(ms < 50, `refused in ${ms} ms, before deriving`);
    }
  });

  it("bodies that are not cosign's format are refused as damaged", () => {
    const broken: Array<[string, (b: Record<string, Record<string, unknown>>) => unknown]> = [
      ["kdf pbkdf2", (b) => ({ ...b, kdf: { ...b.kdf, name: "pbkdf2" } })],
      ["cipher aes", (b) => ({ ...b, cipher: { ...b.cipher, name: "aes-gcm" } })],
      ["short nonce", (b) => ({ ...b, cipher: { ...b.cipher, nonce: "AAAA" } })],
      ["no ciphertext", (b) => ({ ...b, ciphertext: undefined })],
      ["params as text", (b) => ({ ...b, kdf: { ...b.kdf, params: { N: "65536", r: 8, p: 1 } } })],
      ["an array", () => []],
    ];
    for (const [name, change] of broken) {
      assert.throws(
        () => loadPrivateKey(encryptedKeyFile(change(wellFormed())), "pw", `${name}.key`),
        keyRefusal(/damaged or not cosign's format|not positive integers/),
        name,
      );
    }
    const notJson = writePemBlock(SIGSTORE_ENCRYPTED_PEM_TYPE, Buffer.from("garbage"));
    assert.throws(() => loadPrivateKey(notJson, "pw", "g.key"), keyRefusal(/not JSON/));
  });

  it("a flipped ciphertext byte reads as a wrong passphrase or damage", () => {
    const body = wellFormed();
    const bytes = Buffer.from(String(body.ciphertext), "base64");
    bytes[20] = (bytes[20] ?? 0) ^ 1;
    const changed = { ...body, ciphertext: bytes.toString("base64") };
    assert.throws(() => loadPrivateKey(encryptedKeyFile(changed), "pw", "f.key"), keyRefusal(/damaged/));
  });

  it("garbage, oversized, headered and mistyped PEM text is refused clearly", () => {
    assert.throws(() => loadPrivateKey("hello", "x", "g.key"), keyRefusal(/no PEM block/));
    const big = `-----BEGIN PRIVATE KEY-----\n${"A".repeat(70_000)}\n-----END PRIVATE KEY-----\n`;
    assert.throws(() => loadPrivateKey(big, undefined, "big.key"), keyRefusal(/64 KiB key file limit/));
    const badBase64 = "-----BEGIN PRIVATE KEY-----\n!!!!\n-----END PRIVATE KEY-----\n";
    assert.throws(() => loadPrivateKey(badBase64, undefined, "b.key"), keyRefusal(/not valid base64/));
    const notDer = writePemBlock("PRIVATE KEY", Buffer.from("not a key at all"));
    assert.throws(() => loadPrivateKey(notDer, undefined, "n.key"), keyRefusal(/not a valid private key/));
    const legacy = [
      "-----BEGIN EC PRIVATE KEY-----",
      "Proc-Type: 4,ENCRYPTED",
      "DEK-Info: AES-128-CBC,00000000000000000000000000000000",
      "",
      "AAAA",
      "-----END EC PRIVATE KEY-----",
    ].join("\n");
    assert.throws(() => loadPrivateKey(legacy, "x", "l.key"), keyRefusal(/legacy encryption/));
    const { privateKey, publicKey } = generateSigningKeyPair();
    assert.throws(
      () => loadPrivateKey(publicKeyPem(publicKey), undefined, "cosign.pub"),
      keyRefusal(/holds a public key, not a private key/),
    );
    assert.throws(() => loadPublicKey(privateKeyPem(privateKey), "cosign.key"), keyRefusal(/not PUBLIC KEY/));
    const cert = writePemBlock("CERTIFICATE", Buffer.from("x"));
    assert.throws(() => loadPrivateKey(cert, undefined, "c.pem"), keyRefusal(/"CERTIFICATE"/));
  });
});

describe("fingerprints", () => {
  it("a key's fingerprint is the sha256 of its SPKI DER, the same from either half", () => {
    const { privateKey, publicKey } = generateSigningKeyPair();
    assert.match(keyFingerprint(publicKey), /^[0-9a-f]{64}$/);
    assert.equal(keyFingerprint(privateKey), keyFingerprint(publicKey));
    const reloaded = loadPublicKey(publicKeyPem(privateKey), "k.pub");
    assert.equal(keyFingerprint(reloaded), keyFingerprint(publicKey));
  });
});
