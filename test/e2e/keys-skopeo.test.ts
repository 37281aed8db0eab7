import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createHash, createSign, createVerify, generateKeyPairSync, type KeyObject } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import { loadPrivateKey, loadPublicKey } from "../../src/sign/keys/index.js";
import { runCliAsync } from "../support/run-cli.js";
import { buildImage, type ImageLayout, imageToolsMissing, pushImage } from "./support/images.js";
import { registryToolsMissing, startRegistry, type TestRegistry } from "./support/registry-harness.js";

const execFileAsync = promisify(execFile);

// Debian builds skopeo with sigstore signing patched out; the test says so rather than passing silently
const SIGSTORE_DISABLED = /sigstore disabled/i;
const MISSING = imageToolsMissing() || registryToolsMissing();
const PASSPHRASE = "interop passphrase with spaces";
const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
const SIMPLE_SIGNING = "application/vnd.dev.cosign.simplesigning.v1+json";
const SIGNATURE_ANNOTATION = "dev.cosignproject.cosign/signature";

let registry: TestRegistry | undefined;
let image: ImageLayout | undefined;
const scratch = mkdtempSync(join(tmpdir(), "cipolice-keys-skopeo-"));
const passFile = join(scratch, "pass");
const prefix = join(scratch, "cosign");
const registriesD = join(scratch, "registries.d");

before(async () => {
  if (MISSING) return;
  registry = await startRegistry("anonymous");
  image = await buildImage({ labels: { "org.cipolice.test": "keys-skopeo" } });
  writeFileSync(passFile, `${PASSPHRASE}\n`);
  const generated = await runCliAsync([
    ...["keys", "generate", "--output-prefix", prefix],
    ...["--passphrase-file", passFile],
  ]);
  assert.equal(generated.status, 0, generated.stderr);
  // c/image reads and writes sigstore signatures as `sha256-<hex>.sig` tags only where registries.d says so
  mkdirSync(registriesD);
  writeFileSync(
    join(registriesD, "cipolice-test.yaml"),
    `docker:\n  ${registry.host}:\n    use-sigstore-attachments: true\n`,
  );
});
after(async () => {
  await registry?.stop();
  await image?.remove();
  rmSync(scratch, { recursive: true, force: true });
});

/** Runs skopeo; resolves to its exit code and output instead of throwing. */
async function skopeo(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execFileAsync("skopeo", args, { maxBuffer: 16 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === "number" ? e.code : 1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}

async function getJson(url: string, accept?: string): Promise<{ body: unknown; digest: string }> {
  const response = await fetch(url, accept ? { headers: { accept } } : {});
  const bytes = Buffer.from(await response.arrayBuffer());
  assert.equal(response.status, 200, `${url}: ${bytes.toString("utf8")}`);
  return {
    body: JSON.parse(bytes.toString("utf8")),
    digest: `sha256:${createHash("sha256").update(bytes).digest("hex")}`,
  };
}

interface SigManifest {
  layers: Array<{ mediaType: string; digest: string; annotations?: Record<string, string> }>;
}

/** The `sha256-<hex>.sig` tag of a manifest digest, where cosign and c/image keep its signatures. */
const sigTagOf = (digest: string) => `${digest.replace(":", "-")}.sig`;

test("skopeo signs with a key pair from `cipolice keys generate`; the .sig tag verifies with its .pub", {
  skip: MISSING,
}, async (t) => {
  assert.ok(registry && image);
  const repo = "keys/signed-by-skopeo";
  const copied = await skopeo([
    ...["--insecure-policy", "--registries.d", registriesD, "copy", "--dest-tls-verify=false"],
    ...["--sign-by-sigstore-private-key", `${prefix}.key`, "--sign-passphrase-file", passFile],
    `oci:${image.layoutDir}:${image.tag}`,
    `docker://${registry.host}/${repo}:signed`,
  ]);
  if (copied.code !== 0 && SIGSTORE_DISABLED.test(copied.stderr)) {
    t.skip(
      `this skopeo cannot sign with sigstore keys (${copied.stderr.trim().split("\n").at(-1)}); install an upstream skopeo >= 1.9 to run this interop check`,
    );
    return;
  }
  assert.equal(copied.code, 0, copied.stderr);

  const manifest = await getJson(`${registry.url}/v2/${repo}/manifests/signed`, OCI_MANIFEST);
  const sigTag = sigTagOf(manifest.digest);
  const tags = (await getJson(`${registry.url}/v2/${repo}/tags/list`)).body as { tags: string[] };
  assert.ok(tags.tags.includes(sigTag), `tags ${tags.tags.join(", ")} hold ${sigTag}`);

  // The signature skopeo made is over the payload layer, and verifies with the .pub we wrote
  const sig = (await getJson(`${registry.url}/v2/${repo}/manifests/${sigTag}`, OCI_MANIFEST))
    .body as SigManifest;
  const layer = sig.layers[0];
  assert.ok(layer, "the .sig manifest has a signature layer");
  const signature = layer.annotations?.[SIGNATURE_ANNOTATION];
  assert.ok(signature, "the layer carries cosign's signature annotation");
  const payload = Buffer.from(
    await (await fetch(`${registry.url}/v2/${repo}/blobs/${layer.digest}`)).arrayBuffer(),
  );
  const doc = JSON.parse(payload.toString("utf8")) as { critical: { image: Record<string, string> } };
  assert.equal(doc.critical.image["docker-manifest-digest"], manifest.digest);
  const pub = loadPublicKey(readFileSync(`${prefix}.pub`, "utf8"), `${prefix}.pub`);
  const verified = createVerify("sha256").update(payload).verify(pub, Buffer.from(signature, "base64"));
  assert.equal(verified, true, "the signature verifies with the generated public key");
});

test("skopeo accepts, under a sigstoreSigned policy with the generated .pub, a signature made with its .key", {
  skip: MISSING,
}, async (t) => {
  assert.ok(registry && image);
  const repo = "keys/signed-with-our-key";
  await pushImage(image, registry, `${repo}:v1`);
  const manifest = await getJson(`${registry.url}/v2/${repo}/manifests/v1`, OCI_MANIFEST);
  // The private key as `cipolice keys generate` wrote it: encrypted, read back with the passphrase file's line
  const key = loadPrivateKey(readFileSync(`${prefix}.key`, "utf8"), PASSPHRASE, `${prefix}.key`);
  await pushCosignSignature(registry, repo, manifest.digest, key);

  const pulled = await skopeoUnderPolicy(repo, `${prefix}.pub`, "ours");
  if (pulled.code !== 0 && SIGSTORE_DISABLED.test(pulled.stderr)) {
    t.skip(
      `this skopeo cannot verify sigstore signatures (${pulled.stderr.trim().split("\n").at(-1)}); install an upstream skopeo >= 1.9 to run this interop check`,
    );
    return;
  }
  assert.equal(pulled.code, 0, pulled.stderr);

  const otherPub = join(scratch, "other.pub");
  const other = generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey;
  writeFileSync(otherPub, other.export({ format: "pem", type: "spki" }));
  const refused = await skopeoUnderPolicy(repo, otherPub, "other");
  assert.notEqual(refused.code, 0, "a policy with another key refuses the image");
  assert.match(refused.stderr, /rejected|signature/i);
});

/** `skopeo copy` of `repo:v1` to a local layout under a policy that requires a sigstore signature by `pub`. */
function skopeoUnderPolicy(repo: string, pub: string, name: string) {
  assert.ok(registry);
  const policy = join(scratch, `policy-${name}.json`);
  const requirement = { type: "sigstoreSigned", keyPath: pub, signedIdentity: { type: "matchRepository" } };
  writeFileSync(
    policy,
    JSON.stringify({
      default: [{ type: "reject" }],
      transports: { docker: { [registry.host]: [requirement] } },
    }),
  );
  return skopeo([
    ...["--policy", policy, "--registries.d", registriesD, "copy", "--src-tls-verify=false"],
    `docker://${registry.host}/${repo}:v1`,
    `oci:${join(scratch, `pulled-${name}`)}:v1`,
  ]);
}

/**
 * Pushes a cosign signature of `digest` by `key` as cosign does (a simple-signing payload layer with the
 * base64 ECDSA-SHA256 signature as annotation, in an OCI manifest under `sha256-<hex>.sig`), over the
 * Distribution API. The test's own minimal signer: CIPolicE's signing command is separate work.
 */
async function pushCosignSignature(
  target: TestRegistry,
  repo: string,
  digest: string,
  key: KeyObject,
): Promise<void> {
  const payload = Buffer.from(
    JSON.stringify({
      critical: {
        identity: { "docker-reference": `${target.host}/${repo}` },
        image: { "docker-manifest-digest": digest },
        type: "cosign container image signature",
      },
      optional: null,
    }),
  );
  const signature = createSign("sha256").update(payload).sign(key).toString("base64");
  const payloadDigest = await pushBlob(target, repo, payload);
  const config = Buffer.from(
    JSON.stringify({
      architecture: "",
      os: "",
      config: {},
      rootfs: { type: "layers", diff_ids: [payloadDigest] },
    }),
  );
  const configDigest = await pushBlob(target, repo, config);
  const manifest = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: {
      mediaType: "application/vnd.oci.image.config.v1+json",
      digest: configDigest,
      size: config.length,
    },
    layers: [
      {
        mediaType: SIMPLE_SIGNING,
        digest: payloadDigest,
        size: payload.length,
        annotations: { [SIGNATURE_ANNOTATION]: signature },
      },
    ],
  };
  const put = await fetch(`${target.url}/v2/${repo}/manifests/${sigTagOf(digest)}`, {
    method: "PUT",
    headers: { "content-type": OCI_MANIFEST },
    body: JSON.stringify(manifest),
  });
  assert.equal(put.status, 201, await put.text());
}

async function pushBlob(target: TestRegistry, repo: string, bytes: Buffer): Promise<string> {
  const digest = `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
  const started = await fetch(`${target.url}/v2/${repo}/blobs/uploads/`, { method: "POST" });
  assert.equal(started.status, 202, await started.text());
  const location = new URL(started.headers.get("location") ?? "", target.url);
  location.searchParams.set("digest", digest);
  const done = await fetch(location, {
    method: "PUT",
    headers: { "content-type": "application/octet-stream" },
    body: bytes,
  });
  assert.equal(done.status, 201, await done.text());
  return digest;
}
