import assert from "node:assert/strict";
import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from "node:http";
import { after, before, describe, test } from "node:test";
import type { ImageFacts } from "../../src/model/index.js";
import { runCliAsync } from "../support/run-cli.js";
import { buildImage, imageToolsMissing, pushImage, skopeoInspect } from "./support/images.js";
import { registryToolsMissing, startRegistry, type TestRegistry } from "./support/registry-harness.js";

const missing = registryToolsMissing("htpasswd") || imageToolsMissing();

/** How the front answers what the real registry behind it does not: as registries on cloud storage do. */
type FrontMode = "storage-redirects" | "manifest-redirects" | "denied";

/** Starts a server on a free loopback port; resolves to its `127.0.0.1:port`. */
async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  return `127.0.0.1:${typeof address === "object" && address !== null ? address.port : 0}`;
}

/** Passes a request on to the real registry and its answer back, unchanged. */
function forward(registry: TestRegistry, req: IncomingMessage, res: ServerResponse, path = req.url): void {
  const upstream = request(
    `${registry.url}${path}`,
    { method: req.method, headers: { ...req.headers, host: registry.host } },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    },
  );
  upstream.on("error", (error) => res.writeHead(502).end(String(error)));
  req.pipe(upstream);
}

describe("a registry whose blobs live on other storage (redirects) or that denies access", {
  skip: missing,
}, () => {
  let registry: TestRegistry;
  let storage: Server;
  let front: Server;
  let storageHost: string;
  let frontHost: string;
  let mode: FrontMode = "storage-redirects";
  /** The Authorization header of each request the storage host received. */
  const storageAuthorizations: Array<string | undefined> = [];
  let creds: string[];

  before(async () => {
    registry = await startRegistry("htpasswd");
    const { username, password } = registry.credentials as { username: string; password: string };
    creds = ["--creds", `${username}:${password}`];
    const image = await buildImage({ user: "1000", labels: { stored: "elsewhere" } });
    await pushImage(image, registry, "team/app:1", registry.credentials);
    await image.remove();
    const basic = `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`;
    // The storage host serves blobs by signed URL, like S3 behind a registry: no registry credentials needed
    storage = createServer((req, res) => {
      storageAuthorizations.push(req.headers.authorization);
      const path = new URL(req.url ?? "/", "http://storage").searchParams.get("path") ?? "/";
      req.headers.authorization = basic;
      forward(registry, req, res, path);
    });
    storageHost = await listen(storage);
    front = createServer((req, res) => {
      const path = req.url ?? "/";
      const isBlob = /^\/v2\/.+\/blobs\/sha256:[0-9a-f]{64}$/.test(path);
      const isManifest = /^\/v2\/.+\/manifests\//.test(path);
      if (mode === "denied" && isManifest) {
        res.writeHead(403, { "content-type": "application/json" });
        res.end('{"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]}');
      } else if ((mode === "storage-redirects" && isBlob) || (mode === "manifest-redirects" && isManifest)) {
        res.writeHead(307, {
          location: `http://${storageHost}/signed?path=${encodeURIComponent(path)}&sig=x`,
        });
        res.end();
      } else {
        forward(registry, req, res);
      }
    });
    frontHost = await listen(front);
  });
  after(async () => {
    for (const server of [front, storage]) {
      server?.closeAllConnections();
      await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    }
    await registry?.stop();
  });

  test("blobs redirected to another host are followed, without sending it the registry credentials", async () => {
    mode = "storage-redirects";
    storageAuthorizations.length = 0;
    const run = await runCliAsync(["facts", `${frontHost}/team/app:1`, ...creds]);
    assert.equal(run.status, 0, run.stderr);
    const facts = JSON.parse(run.stdout) as ImageFacts;
    const inspect = (await skopeoInspect(`${registry.host}/team/app:1`, registry.credentials)) as {
      Digest: string;
    };
    assert.equal(facts.digest, inspect.Digest);
    assert.equal(facts.config?.labels?.stored, "elsewhere");
    assert.ok(storageAuthorizations.length > 0, "the config blob came from the storage host");
    assert.deepEqual(
      storageAuthorizations.filter((a) => a !== undefined),
      [],
      "no Authorization header reached the storage host",
    );
  });

  test("a manifest request redirected elsewhere is refused (exit 2), naming where it pointed", async () => {
    mode = "manifest-redirects";
    const run = await runCliAsync(["facts", `${frontHost}/team/app:1`, ...creds]);
    assert.equal(run.status, 2);
    assert.match(run.stderr, new RegExp(`redirected the manifest request to http://${storageHost}/signed`));
  });

  test("a 403 is reported with the registry's DENIED code (exit 2)", async () => {
    mode = "denied";
    const run = await runCliAsync(["facts", `${frontHost}/team/app:1`, ...creds]);
    assert.equal(run.status, 2);
    assert.match(run.stderr, /403/);
    assert.match(run.stderr, /DENIED/);
    assert.doesNotMatch(run.stderr, /\n\s+at /, "no stack trace without --debug");
  });
});
