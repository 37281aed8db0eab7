import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { createServer, type IncomingMessage, request, type Server } from "node:http";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { RegistryClient } from "../../src/image/registry/registry-client.js";
import type { CipError } from "../../src/model/index.js";
import { skopeoInspectRaw } from "./support/images.js";
import { registryToolsMissing, startRegistry, type TestRegistry } from "./support/registry-harness.js";

const SKIP: false | string =
  registryToolsMissing("anonymous") ||
  (existsSync("/usr/bin/skopeo") ? false : "/usr/bin/skopeo is not installed");
const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
const KiB = 1024;

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

/** Where the registry keeps a blob's bytes, for tests that tamper with its storage. */
function blobData(registry: TestRegistry, digest: string): string {
  const hex = digest.slice("sha256:".length);
  return join(registry.storageDir, "docker/registry/v2/blobs/sha256", hex.slice(0, 2), hex, "data");
}

/** A cosign-shaped signature manifest over a config and one payload layer the repository must hold. */
function signatureManifest(config: Buffer, payload: Buffer): Buffer {
  const document = {
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
        size: payload.length,
        digest: sha256(payload),
        annotations: { "dev.cosignproject.cosign/signature": "MEUCIQ-not-a-real-signature" },
      },
    ],
  };
  return Buffer.from(JSON.stringify(document));
}

/** What the proxy does with one request: forward it, answer `fail` instead, or forward and swap the digest. */
type Fault = { fail?: number; digest?: string } | undefined;

/**
 * A loopback proxy in front of the real registry that injects faults a registry cannot be made to show
 * (a 503 in the middle of an upload, a lying Docker-Content-Digest) and logs "METHOD path" of each request.
 */
async function faultProxy(
  upstream: string,
  decide: (req: IncomingMessage, log: string[]) => Fault,
): Promise<{ host: string; log: string[]; server: Server }> {
  const log: string[] = [];
  const [upstreamHost, upstreamPort] = upstream.split(":");
  const server = createServer((req, res) => {
    log.push(`${req.method} ${new URL(req.url ?? "/", "http://x").pathname}`);
    const fault = decide(req, log);
    if (fault?.fail !== undefined) {
      const status = fault.fail;
      req.resume();
      req.on("end", () =>
        res
          .writeHead(status, { "content-type": "application/json" })
          .end('{"errors":[{"code":"UNAVAILABLE","message":"injected by the test proxy"}]}'),
      );
      return;
    }
    const forwarded = request(
      {
        host: upstreamHost,
        port: Number(upstreamPort),
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (answer) => {
        const headers = { ...answer.headers };
        if (fault?.digest !== undefined) headers["docker-content-digest"] = fault.digest;
        res.writeHead(answer.statusCode ?? 502, headers);
        answer.pipe(res);
      },
    );
    forwarded.on("error", (error) => res.writeHead(502).end(String(error)));
    req.pipe(forwarded);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  return { host: `127.0.0.1:${port}`, log, server };
}

/** The repository as reached through the proxy. */
function via(proxy: { host: string }, repository: string): { registry: string; repository: string } {
  return { registry: proxy.host, repository };
}

function close(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

describe("RegistryClient pushes to a real Distribution registry (anonymous)", { skip: SKIP }, () => {
  let registry: TestRegistry;
  let client: RegistryClient;
  const target = (repository: string) => ({ registry: registry.host, repository });

  before(async () => {
    registry = await startRegistry("anonymous");
    client = new RegistryClient({ timeoutMs: 10_000, retries: 2 });
  });
  after(async () => {
    await registry?.stop();
  });

  test("a small blob goes up in one PUT, reads back verified, and a second push sends nothing", async () => {
    const data = randomBytes(3 * KiB);
    const pushed = await client.pushBlob(target("push/small"), data);
    assert.deepEqual(pushed, { digest: sha256(data), size: data.length, existed: false, mounted: false });
    assert.deepEqual(await client.getBlob(target("push/small"), pushed.digest), data);
    const again = await client.pushBlob(target("push/small"), data);
    assert.equal(again.existed, true);
  });

  test("a blob larger than the chunk size goes up in PATCH chunks and reads back identical", async () => {
    const data = randomBytes(200 * KiB + 7);
    const proxy = await faultProxy(registry.host, () => undefined);
    try {
      const viaProxy = new RegistryClient({ timeoutMs: 10_000 });
      const pushed = await viaProxy.pushBlob(via(proxy, "push/chunked"), data, { chunkBytes: 64 * KiB });
      assert.equal(pushed.digest, sha256(data));
      const patches = proxy.log.filter((line) => line.startsWith("PATCH "));
      assert.equal(patches.length, 4, proxy.log.join("\n"));
      assert.deepEqual(
        proxy.log.map((line) => line.split(" ")[0]),
        ["GET", "HEAD", "POST", "PATCH", "PATCH", "PATCH", "PATCH", "PUT"],
      );
    } finally {
      await close(proxy.server);
    }
    assert.deepEqual(await client.getBlob(target("push/chunked"), sha256(data), 1024 * KiB), data);
  });

  test("a chunk size that is not a positive whole number is refused before anything is sent", async () => {
    for (const chunkBytes of [0, -1, 1.5]) {
      const error = await rejection(
        client.pushBlob(target("push/bad-chunk"), randomBytes(10), { chunkBytes }),
      );
      assert.equal(error.code, "CIP_USAGE");
      assert.match(error.message, /the chunk size must be a positive whole number of bytes/);
    }
  });

  test("a blob another repository holds is mounted, not uploaded", async () => {
    const data = randomBytes(10 * KiB);
    await client.pushBlob(target("push/source"), data);
    const mounted = await client.pushBlob(target("push/mounted"), data, { mountFrom: "push/source" });
    assert.deepEqual(mounted, { digest: sha256(data), size: data.length, existed: false, mounted: true });
    assert.deepEqual(await client.getBlob(target("push/mounted"), sha256(data)), data);
  });

  test("a mount from a repository without the blob falls back to an upload", async () => {
    const data = randomBytes(2 * KiB);
    const pushed = await client.pushBlob(target("push/fallback"), data, { mountFrom: "push/nothing-here" });
    assert.equal(pushed.mounted, false);
    assert.equal(pushed.existed, false);
    assert.deepEqual(await client.getBlob(target("push/fallback"), sha256(data)), data);
  });

  test("a mount the registry refuses (no pull on the source) falls back to an upload", async () => {
    const data = randomBytes(3 * KiB);
    await client.pushBlob(target("push/guarded"), data);
    const proxy = await faultProxy(registry.host, (req) =>
      req.method === "POST" && (req.url ?? "").includes("mount=") ? { fail: 403 } : undefined,
    );
    try {
      const viaProxy = new RegistryClient({ timeoutMs: 10_000 });
      const pushed = await viaProxy.pushBlob(via(proxy, "push/unguarded"), data, {
        mountFrom: "push/guarded",
      });
      assert.deepEqual(pushed, { digest: sha256(data), size: data.length, existed: false, mounted: false });
      assert.deepEqual(
        proxy.log.map((line) => line.split(" ")[0]),
        ["GET", "HEAD", "POST", "POST", "PUT"],
      );
    } finally {
      await close(proxy.server);
    }
    assert.deepEqual(await client.getBlob(target("push/unguarded"), sha256(data)), data);
  });

  test("a manifest pushed by tag reads back byte for byte with skopeo and getManifest", async () => {
    const config = Buffer.from(
      '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}',
    );
    const payload = Buffer.from('{"critical":{"type":"cosign container image signature"}}');
    await client.pushBlob(target("push/signed"), config);
    await client.pushBlob(target("push/signed"), payload);
    const body = signatureManifest(config, payload);
    const tag = `sha256-${"ab".repeat(32)}.sig`;
    const { digest } = await client.pushManifest(
      { ...target("push/signed"), reference: tag },
      body,
      OCI_MANIFEST,
    );
    assert.equal(digest, sha256(body));
    assert.deepEqual(
      await skopeoInspectRaw(`${registry.host}/push/signed:${tag}`),
      JSON.parse(body.toString()),
    );
    const read = await client.getManifest({ ...target("push/signed"), reference: tag });
    assert.deepEqual(read, { digest, mediaType: OCI_MANIFEST, body });
    const byDigest = await client.getManifest({ ...target("push/signed"), reference: digest });
    assert.deepEqual(byDigest?.body, body);
    // By digest as well: the reference must be the digest of the exact bytes
    const again = await client.pushManifest(
      { ...target("push/signed"), reference: digest },
      body,
      OCI_MANIFEST,
    );
    assert.equal(again.digest, digest);
    const wrong = await rejection(
      client.pushManifest({ ...target("push/signed"), reference: sha256(config) }, body, OCI_MANIFEST),
    );
    assert.match(wrong.message, /the manifest's digest is sha256:[0-9a-f]{64}, not the reference/);
  });

  test("a manifest whose blobs the repository lacks is refused with the registry's reason", async () => {
    const body = signatureManifest(randomBytes(10), randomBytes(10));
    const error = await rejection(
      client.pushManifest({ ...target("push/incomplete"), reference: "v1" }, body, OCI_MANIFEST),
    );
    assert.equal(error.code, "CIP_REGISTRY");
    assert.match(
      error.message,
      /^Cannot push the manifest push\/incomplete:v1 to 127\.0\.0\.1:\d+\/push\/incomplete: the registry answered 400 Bad Request, MANIFEST_BLOB_UNKNOWN/,
    );
    assert.equal(await client.getManifest({ ...target("push/incomplete"), reference: "v1" }), undefined);
  });

  test("getManifest answers undefined for an unknown tag or repository", async () => {
    await client.pushBlob(target("push/small"), randomBytes(5));
    assert.equal(await client.getManifest({ ...target("push/small"), reference: "missing" }), undefined);
    assert.equal(
      await client.getManifest({ ...target("push/no-such-repo"), reference: "latest" }),
      undefined,
    );
  });

  test("manifests and blobs over the limits are refused", async () => {
    const small = new RegistryClient({ maxManifestBytes: 100, maxBlobBytes: 100 });
    const body = Buffer.alloc(101, 0x20);
    const tooBig = await rejection(
      small.pushManifest({ ...target("push/limits"), reference: "x" }, body, OCI_MANIFEST),
    );
    assert.equal(tooBig.code, "CIP_INPUT_TOO_LARGE");
    const data = randomBytes(101);
    await client.pushBlob(target("push/limits"), data);
    assert.equal(
      (await rejection(small.getBlob(target("push/limits"), sha256(data)))).code,
      "CIP_INPUT_TOO_LARGE",
    );
    assert.equal(
      (await rejection(client.getBlob(target("push/limits"), sha256(data), 50))).code,
      "CIP_INPUT_TOO_LARGE",
    );
  });

  test("blobs and manifests altered in the registry's storage are refused on reading", async () => {
    const config = Buffer.from('{"architecture":"amd64","os":"linux","tampered":"config"}');
    const payload = Buffer.from('{"critical":{"type":"tamper test"}}');
    await client.pushBlob(target("push/tampered"), config);
    await client.pushBlob(target("push/tampered"), payload);
    const body = signatureManifest(config, payload);
    const { digest } = await client.pushManifest(
      { ...target("push/tampered"), reference: "t" },
      body,
      OCI_MANIFEST,
    );
    // Same length, other bytes: the registry serves them under the old digest
    await writeFile(
      blobData(registry, sha256(payload)),
      Buffer.from(payload.toString().replace("tamper", "TAMPER")),
    );
    const blobError = await rejection(client.getBlob(target("push/tampered"), sha256(payload)));
    assert.match(
      blobError.message,
      /^Cannot trust the blob sha256:[0-9a-f]{64} of push\/tampered: its digest is/,
    );
    await writeFile(
      blobData(registry, digest),
      Buffer.from(body.toString().replace("not-a-real", "not-a-REAL")),
    );
    const manifestError = await rejection(client.getManifest({ ...target("push/tampered"), reference: "t" }));
    assert.match(manifestError.message, /^Cannot trust the manifest of push\/tampered:t: its digest is/);
  });

  test("a 503 in the middle of a chunked upload restarts the session; the failed PATCH is never resent", async () => {
    let patches = 0;
    const proxy = await faultProxy(registry.host, (req) => {
      if (req.method === "PATCH" && ++patches === 2) return { fail: 503 };
      return undefined;
    });
    const data = randomBytes(150 * KiB);
    try {
      const viaProxy = new RegistryClient({ timeoutMs: 10_000, retries: 2 });
      const pushed = await viaProxy.pushBlob(via(proxy, "push/restart"), data, { chunkBytes: 64 * KiB });
      assert.equal(pushed.digest, sha256(data));
      // The abandoned session is cancelled, then a fresh one sends every chunk again
      assert.deepEqual(
        proxy.log.map((line) => line.split(" ")[0]),
        ["GET", "HEAD", "POST", "PATCH", "PATCH", "DELETE", "POST", "PATCH", "PATCH", "PATCH", "PUT"],
      );
    } finally {
      await close(proxy.server);
    }
    assert.deepEqual(await client.getBlob(target("push/restart"), sha256(data), 1024 * KiB), data);
  });

  test("an upload that keeps failing gives up after the retries with the registry's answer", async () => {
    const proxy = await faultProxy(registry.host, (req) =>
      req.method === "PUT" ? { fail: 503 } : undefined,
    );
    try {
      const viaProxy = new RegistryClient({ timeoutMs: 10_000, retries: 1 });
      const error = await rejection(viaProxy.pushBlob(via(proxy, "push/gives-up"), randomBytes(100)));
      assert.equal(error.code, "CIP_REGISTRY");
      assert.match(
        error.message,
        /^Cannot push blob sha256:[0-9a-f]{64} to 127\.0\.0\.1:\d+\/push\/gives-up: the registry answered 503/,
      );
      assert.equal(proxy.log.filter((line) => line.startsWith("POST ")).length, 2);
      assert.equal(proxy.log.filter((line) => line.startsWith("DELETE ")).length, 2);
    } finally {
      await close(proxy.server);
    }
  });

  test("a registry that answers another digest than the bytes sent is refused", async () => {
    const liar = `sha256:${"0".repeat(64)}`;
    // Every PUT, and the POST of a mount, is answered with a digest of other bytes
    const proxy = await faultProxy(registry.host, (req) =>
      req.method === "PUT" || (req.url ?? "").includes("mount=") ? { digest: liar } : undefined,
    );
    try {
      const viaProxy = new RegistryClient({ timeoutMs: 10_000 });
      const data = randomBytes(1000);
      const blobError = await rejection(viaProxy.pushBlob(via(proxy, "push/liar"), data));
      assert.match(
        blobError.message,
        new RegExp(`the registry answered digest ${liar}, not ${sha256(data)}`),
      );
      const config = randomBytes(20);
      await client.pushBlob(target("push/liar"), config);
      await client.pushBlob(target("push/liar"), data);
      const body = signatureManifest(config, data);
      const manifestError = await rejection(
        viaProxy.pushManifest({ ...via(proxy, "push/liar"), reference: "v1" }, body, OCI_MANIFEST),
      );
      assert.match(
        manifestError.message,
        new RegExp(`the registry answered digest ${liar}, not ${sha256(body)}`),
      );
      // A mount that answers another digest is refused too, not taken as refused and uploaded instead
      const mountError = await rejection(
        viaProxy.pushBlob(via(proxy, "push/liar-mounted"), data, { mountFrom: "push/liar" }),
      );
      assert.match(
        mountError.message,
        new RegExp(`the registry answered digest ${liar}, not ${sha256(data)}`),
      );
    } finally {
      await close(proxy.server);
    }
  });
});
