import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { parseImageReference } from "../../src/image/image-reference.js";
import { RegistryClient } from "../../src/image/registry/registry-client.js";
import { runCliAsync } from "../support/run-cli.js";
import { buildImage, type ImageLayout, imageToolsMissing, pushImage } from "./support/images.js";
import { registryToolsMissing, startRegistry, type TestRegistry } from "./support/registry-harness.js";

// Signing when things go wrong, against a real registry that requires a login: a push the registry refuses is a
// clear error and leaves no signature tag behind; a `.sig` manifest with garbage layers is read layer by layer,
// the good signatures still verify and each bad layer is named.
const skip = registryToolsMissing("htpasswd") || imageToolsMissing();
const PASSWORD = { CIPOLICE_PASSWORD: "bad-input-passphrase" };

describe("cipolice sign and verify with refused pushes and garbage signatures", { skip }, () => {
  let dir: string;
  let registry: TestRegistry;
  let layout: ImageLayout;
  let image: string;
  let digest: string;
  let creds: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "cipolice-sign-bad-"));
    registry = await startRegistry("htpasswd");
    const { username, password } = registry.credentials ?? { username: "", password: "" };
    creds = `${username}:${password}`;
    layout = await buildImage({ files: { "/srv/app/version": "1\n" } });
    await pushImage(layout, registry, "web/app:1.0", registry.credentials);
    image = `${registry.host}/web/app:1.0`;
    const c = client();
    digest = await c.headDigest(parseImageReference(image)).finally(() => c.close());
    const keys = await runCliAsync(["keys", "generate", "--output-prefix", join(dir, "ci")], {
      env: PASSWORD,
    });
    assert.equal(keys.status, 0, keys.stderr);
  });

  after(async () => {
    await registry?.stop();
    await layout?.remove();
    await rm(dir, { recursive: true, force: true });
  });

  const client = () =>
    new RegistryClient({ credentials: registry.credentials as { username: string; password: string } });
  const sigTag = () => `${digest.replace(":", "-")}.sig`;

  it("a push the registry refuses is a clear error, and no signature tag is left behind", async () => {
    const run = await runCliAsync(["sign", image, "--key", join(dir, "ci.key")], {
      // No credentials anywhere: an empty Docker config directory
      env: { ...PASSWORD, DOCKER_CONFIG: dir },
    });
    assert.equal(run.status, 2, run.stdout + run.stderr);
    assert.match(run.stderr, /CIP_REGISTRY: Cannot .*401/);
    const c = client();
    try {
      assert.equal(
        await c.getManifest({ registry: registry.host, repository: "web/app", reference: sigTag() }),
        undefined,
      );
    } finally {
      c.close();
    }
  });

  it("reads a .sig manifest with garbage layers layer by layer: the good signature verifies, each bad one is named", async () => {
    const signed = await runCliAsync(["sign", image, "--key", join(dir, "ci.key"), "--creds", creds], {
      env: PASSWORD,
    });
    assert.equal(signed.status, 0, signed.stderr);
    const c = client();
    try {
      const target = { registry: registry.host, repository: "web/app", reference: sigTag() };
      const manifest = JSON.parse(String((await c.getManifest(target))?.body)) as { layers: unknown[] };
      // Garbage a registry accepts: layers naming a blob it holds, but not a signature payload
      const garbage = await c.pushBlob(target, Buffer.from("\u0000\u00ffnot a payload at all"), {});
      const layer = {
        mediaType: "application/vnd.dev.cosign.simplesigning.v1+json",
        size: garbage.size,
        digest: garbage.digest,
      };
      manifest.layers.push(
        { ...layer, annotations: { "dev.cosignproject.cosign/signature": "%%% not base64" } },
        { ...layer, annotations: {} },
      );
      await c.pushManifest(
        target,
        Buffer.from(JSON.stringify(manifest)),
        "application/vnd.oci.image.manifest.v1+json",
      );
      const verify = await runCliAsync(["verify", image, "--key", join(dir, "ci.pub"), "--creds", creds]);
      assert.equal(verify.status, 0, verify.stdout + verify.stderr);
      assert.match(verify.stdout, /valid {4}layer 0: signed by/);
      assert.match(verify.stdout, /unreadable layer 1: dev\.cosignproject\.cosign\/signature is not base64/);
      assert.match(verify.stdout, /unreadable layer 2: no dev\.cosignproject\.cosign\/signature annotation/);
      assert.match(verify.stdout, /verified: 1 valid signature/);
    } finally {
      c.close();
    }
  });
});
