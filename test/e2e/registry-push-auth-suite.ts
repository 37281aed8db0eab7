import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { RegistryClient } from "../../src/image/registry/registry-client.js";
import type { CipError } from "../../src/model/index.js";
import { skopeoInspectRaw } from "./support/images.js";
import {
  HARNESS_CREDENTIALS,
  type RegistryKind,
  registryToolsMissing,
  startRegistry,
  type TestRegistry,
} from "./support/registry-harness.js";

const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";

function sha256(data: Buffer): string {
  return `sha256:${createHash("sha256").update(data).digest("hex")}`;
}

async function rejection(promise: Promise<unknown>): Promise<CipError> {
  try {
    await promise;
  } catch (error) {
    assert.equal((error as Error).name, "CipError", String(error));
    return error as CipError;
  }
  return assert.fail("expected a rejection");
}

/** An OCI manifest over a config and one layer. */
function manifest(config: Buffer, layer: Buffer): Buffer {
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: {
        mediaType: "application/vnd.oci.image.config.v1+json",
        size: config.length,
        digest: sha256(config),
      },
      layers: [
        {
          mediaType: "application/vnd.dev.cosign.simplesigning.v1+json",
          size: layer.length,
          digest: sha256(layer),
        },
      ],
    }),
  );
}

/**
 * The push tests every authenticating registry must pass, against one real registry of `kind` started in
 * `before`: credentials push blobs (chunked too), mounts and manifests; no or wrong credentials get a clear
 * 401 and leave nothing under the tag.
 */
export function authenticatedPushSuite(kind: Exclude<RegistryKind, "anonymous">): void {
  const skip: false | string =
    registryToolsMissing(kind) ||
    (existsSync("/usr/bin/skopeo") ? false : "/usr/bin/skopeo is not installed");
  describe(`RegistryClient pushes to a real Distribution registry (${kind})`, { skip }, () => {
    let registry: TestRegistry;
    let work: string;
    let client: RegistryClient;
    const target = (repository: string) => ({ registry: registry.host, repository });

    before(async () => {
      work = mkdtempSync(join(tmpdir(), `cip-push-${kind}-`));
      registry = await startRegistry(kind);
      client = new RegistryClient({
        credentials: { ...HARNESS_CREDENTIALS },
        dockerConfigPath: join(work, "absent.json"),
        timeoutMs: 10_000,
      });
    });
    after(async () => {
      await registry?.stop();
      if (work !== undefined) rmSync(work, { recursive: true, force: true });
    });

    test("with credentials: blobs (one chunked), a mount and a manifest go up and read back", async () => {
      const config = Buffer.from('{"architecture":"amd64","os":"linux"}');
      const layer = randomBytes(40 * 1024);
      assert.equal((await client.pushBlob(target("team/base"), config)).existed, false);
      const chunked = await client.pushBlob(target("team/base"), layer, { chunkBytes: 16 * 1024 });
      assert.equal(chunked.digest, sha256(layer));
      // The mount needs pull on team/base and push on team/app in one token (token kind)
      const mounted = await client.pushBlob(target("team/app"), layer, { mountFrom: "team/base" });
      assert.equal(mounted.mounted, true);
      await client.pushBlob(target("team/app"), config, { mountFrom: "team/base" });
      const body = manifest(config, layer);
      const { digest } = await client.pushManifest(
        { ...target("team/app"), reference: "v1" },
        body,
        OCI_MANIFEST,
      );
      assert.deepEqual(
        await skopeoInspectRaw(`${registry.host}/team/app:v1`, HARNESS_CREDENTIALS),
        JSON.parse(body.toString()),
      );
      assert.deepEqual(await client.getManifest({ ...target("team/app"), reference: "v1" }), {
        digest,
        mediaType: OCI_MANIFEST,
        body,
      });
      assert.deepEqual(await client.getBlob(target("team/app"), sha256(layer)), layer);
    });

    test("without credentials the push is refused with a 401 and a login hint; nothing is left under the tag", async () => {
      const anonymous = new RegistryClient({
        dockerConfigPath: join(work, "absent.json"),
        timeoutMs: 10_000,
      });
      const config = Buffer.from('{"architecture":"amd64","os":"linux","anonymous":true}');
      const blobError = await rejection(anonymous.pushBlob(target("team/refused"), config));
      assert.equal(blobError.code, "CIP_REGISTRY");
      assert.match(
        blobError.message,
        /^Cannot push blob sha256:[0-9a-f]{64} to 127\.0\.0\.1:\d+\/team\/refused: the registry answered 401 Unauthorized/,
      );
      assert.match(blobError.hint ?? "", /wants credentials: run docker login 127\.0\.0\.1:\d+/);
      const body = manifest(config, config);
      const manifestError = await rejection(
        anonymous.pushManifest({ ...target("team/refused"), reference: "v1" }, body, OCI_MANIFEST),
      );
      assert.match(
        manifestError.message,
        /^Cannot push the manifest team\/refused:v1 to 127\.0\.0\.1:\d+\/team\/refused: the registry answered 401/,
      );
      assert.equal(await client.getManifest({ ...target("team/refused"), reference: "v1" }), undefined);
    });

    test("a wrong password is reported as refused credentials", async () => {
      const wrong = new RegistryClient({
        credentials: { username: HARNESS_CREDENTIALS.username, password: "wrong" },
        timeoutMs: 10_000,
      });
      const error = await rejection(wrong.pushBlob(target("team/wrong"), randomBytes(10)));
      assert.equal(error.code, "CIP_REGISTRY");
      assert.match(error.message, /^Cannot (push blob|get a token)/);
      assert.match(error.hint ?? "", /refused/);
    });
  });
}
