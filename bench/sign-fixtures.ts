import { execFile } from "node:child_process";
import type { KeyObject } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import {
  encryptCosignPrivateKey,
  generateSigningKeyPair,
  privateKeyPem,
  publicKeyPem,
} from "../src/sign/keys/index.js";
import { buildImage, type ImageLayout, pushImage } from "../test/e2e/support/images.js";
import type { TestRegistry } from "../test/e2e/support/registry-harness.js";

const execFileAsync = promisify(execFile);

/** The repositories one measured image is pushed to: each is signed once, so every signing is a first one. */
export interface SignBenchImage {
  /** `host/repo:tag` that skopeo inspects and the library signs and verifies. */
  library: string;
  /** The same image in another repository, signed and verified by the CLI with the cosign encrypted key. */
  cli: string;
  /** The same image in a third repository, signed by the CLI with the unencrypted PKCS#8 key. */
  cliPkcs8: string;
}

/** The key files and objects of a signing benchmark. */
export interface SignBenchKeys {
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** cosign.key: cosign's encrypted format (scrypt + secretbox), as `cipolice keys generate` writes it. */
  encryptedKeyFile: string;
  passphrase: string;
  /** PKCS#8 PEM, unencrypted: no key derivation when the CLI loads it. */
  pkcs8KeyFile: string;
  publicKeyFile: string;
}

/** Writes a fresh P-256 key pair in `dir` in both private-key formats the CLI reads. */
export function writeSignBenchKeys(dir: string): SignBenchKeys {
  const { privateKey, publicKey } = generateSigningKeyPair();
  const passphrase = "cipolice bench passphrase";
  const keys: SignBenchKeys = {
    privateKey,
    publicKey,
    encryptedKeyFile: join(dir, "cosign.key"),
    passphrase,
    pkcs8KeyFile: join(dir, "pkcs8.key"),
    publicKeyFile: join(dir, "cosign.pub"),
  };
  writeFileSync(keys.encryptedKeyFile, encryptCosignPrivateKey(privateKey, passphrase));
  writeFileSync(keys.pkcs8KeyFile, privateKeyPem(privateKey));
  writeFileSync(keys.publicKeyFile, publicKeyPem(publicKey));
  return keys;
}

/**
 * Builds one small image and `distinct - 1` variants of it (another label each, so another config and manifest
 * digest) in one OCI layout, tagged `v0`…; `remove()` deletes the layout.
 */
export async function buildImageVariants(distinct: number): Promise<ImageLayout & { tags: string[] }> {
  const image = await buildImage({ user: "1000", env: ["A=1"], files: { "etc/app.conf": "x=1\n" } });
  const tags = Array.from({ length: distinct }, (_, i) => `v${i}`);
  // umoci writes a new config and manifest per tag; the layer is shared
  for (const tag of tags) {
    await execFileAsync("umoci", [
      "config",
      "--image",
      `${image.layoutDir}:${image.tag}`,
      "--tag",
      tag,
      "--config.label",
      `cipolice.bench.variant=${tag}`,
    ]);
  }
  return { ...image, tags };
}

/**
 * Pushes `tag` of the layout to three repositories named after `name` (library, CLI, CLI with a PKCS#8 key),
 * with up to `parallel` pushes at once across all `jobs`.
 */
export async function pushSignBenchImages(
  layout: Pick<ImageLayout, "layoutDir">,
  registry: TestRegistry,
  jobs: { name: string; tag: string }[],
  parallel = 4,
): Promise<SignBenchImage[]> {
  const images = jobs.map(({ name }) => ({
    library: `${registry.host}/bench/${name}-lib:1`,
    cli: `${registry.host}/bench/${name}-cli:1`,
    cliPkcs8: `${registry.host}/bench/${name}-pk:1`,
  }));
  const pushes = jobs.flatMap(({ name, tag }) =>
    ["lib", "cli", "pk"].map(
      (kind) => () => pushImage({ layoutDir: layout.layoutDir, tag }, registry, `bench/${name}-${kind}:1`),
    ),
  );
  let next = 0;
  const worker = async () => {
    while (next < pushes.length) await (pushes[next++] as () => Promise<void>)();
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return images;
}
