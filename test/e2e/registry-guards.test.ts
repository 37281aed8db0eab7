import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { RegistryAuth } from "../../src/image/registry/registry-auth.js";
import { RegistryClient } from "../../src/image/registry/registry-client.js";
import { Transport } from "../../src/image/registry/transport.js";
import type { CipError } from "../../src/model/index.js";
import { buildImage, imageToolsMissing, pushImage } from "./support/images.js";
import {
  HARNESS_CREDENTIALS,
  registryToolsMissing,
  startRegistry,
  type TestRegistry,
} from "./support/registry-harness.js";

const AMD64 = { os: "linux", architecture: "amd64" };
const SCOPE = "repository:team/app:pull";

async function rejection(promise: Promise<unknown>): Promise<CipError> {
  try {
    await promise;
  } catch (error) {
    assert.equal((error as Error).name, "CipError", String(error));
    return error as CipError;
  }
  return assert.fail("expected a rejection");
}

/** A loopback HTTP server answering every request with `answer`, recording what it was sent. */
async function recordingServer(answer: { status: number; body: string; type?: string }): Promise<{
  server: Server;
  origin: string;
  requests: IncomingMessage[];
}> {
  const requests: IncomingMessage[] = [];
  const server = createServer((req, res) => {
    requests.push(req);
    res.writeHead(answer.status, { "content-type": answer.type ?? "application/json" }).end(answer.body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  return { server, origin: `http://127.0.0.1:${port}`, requests };
}

function close(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** RegistryAuth over the real transport, with credentials for every registry and a plain-HTTP policy given. */
function auth(plainHttp: boolean, identityToken = false): RegistryAuth {
  const credentials = identityToken
    ? { identityToken: "refresh-me" }
    : { username: HARNESS_CREDENTIALS.username, password: HARNESS_CREDENTIALS.password };
  return new RegistryAuth(
    new Transport({ timeoutMs: 5_000, retries: 0 }),
    () => credentials,
    () => plainHttp,
  );
}

function bearer(realm: string) {
  return [{ scheme: "bearer", params: { realm, service: "test-registry" } }];
}

describe("token realms: credentials go only over HTTPS or to hosts where plain HTTP is allowed", () => {
  test("a plain-HTTP realm on a host not allowed plain HTTP is refused before anything is sent", async () => {
    // The realm host plays an attacker who put its own realm into a registry's challenge
    const thief = await recordingServer({ status: 200, body: '{"token":"stolen"}' });
    try {
      for (const identityToken of [false, true]) {
        const error = await rejection(
          auth(false, identityToken).authorization("registry.test", bearer(`${thief.origin}/token`), SCOPE),
        );
        assert.equal(error.code, "CIP_REGISTRY");
        assert.match(error.message, /token realm http:\/\/127\.0\.0\.1:\d+ is not HTTPS \(registry\.test\)/);
        assert.match(error.hint ?? "", /only sent over HTTPS/);
      }
      assert.equal(thief.requests.length, 0, "no request, so no credentials, reached the realm");
    } finally {
      await close(thief.server);
    }
  });

  test("where plain HTTP is allowed the same realm gets the request, with the credentials", async () => {
    const realm = await recordingServer({ status: 200, body: '{"token":"granted","expires_in":300}' });
    try {
      assert.equal(
        await auth(true).authorization("registry.test", bearer(`${realm.origin}/token`), SCOPE),
        "Bearer granted",
      );
      assert.equal(realm.requests.length, 1);
      assert.match(realm.requests[0]?.headers.authorization ?? "", /^Basic /);
      assert.match(realm.requests[0]?.url ?? "", /scope=repository%3Ateam%2Fapp%3Apull/);
    } finally {
      await close(realm.server);
    }
  });

  test("a realm that is not a URL is refused as a misconfigured registry", async () => {
    const error = await rejection(auth(true).authorization("registry.test", bearer("not a url"), SCOPE));
    assert.match(error.message, /no usable realm URL \("not a url"\)/);
  });
});

describe("the token server's error answers say what failed and what to do", () => {
  const cases: Array<{
    name: string;
    status: number;
    body: string;
    type?: string;
    message: RegExp;
    hint: RegExp;
  }> = [
    {
      name: "401 with the distribution error body",
      status: 401,
      body: '{"errors":[{"code":"UNAUTHORIZED","message":"bad credentials"}]}',
      message: /token server answered 401 \(UNAUTHORIZED: bad credentials\)/,
      hint: /credentials for registry\.test were refused/,
    },
    {
      name: "403 with an OAuth2 error body",
      status: 403,
      body: '{"error":"access_denied","error_description":"no pull for you"}',
      message: /answered 403 \(access_denied: no pull for you\)/,
      hint: /were refused/,
    },
    {
      name: "500 with plain text",
      status: 500,
      body: "upstream   database\n down",
      type: "text/plain",
      message: /answered 500 \(upstream database down\)/,
      hint: /token server is failing; retry later/,
    },
    {
      name: "200 that is not JSON",
      status: 200,
      body: "<html>login</html>",
      type: "text/html",
      message: /token server's answer is not JSON/,
      hint: /misconfigured/,
    },
    {
      name: "200 JSON without a token",
      status: 200,
      body: '{"token":"","expires_in":60}',
      message: /neither "token" nor "access_token"/,
      hint: /misconfigured/,
    },
    {
      name: "an answer over the 1 MiB limit",
      status: 200,
      body: `{"token":"${"x".repeat(1024 * 1024 + 10)}"}`,
      message: /token response/,
      hint: /./,
    },
  ];
  for (const c of cases) {
    test(c.name, async () => {
      const server = await recordingServer(c);
      try {
        const error = await rejection(
          auth(true).authorization("registry.test", bearer(`${server.origin}/token`), SCOPE),
        );
        assert.match(error.message, c.message);
        assert.match(
          error.message,
          new RegExp(`${server.origin.replace(/[.]/g, "\\.")}/token`),
          "names the token server",
        );
        assert.match(error.hint ?? "", c.hint);
      } finally {
        await close(server.server);
      }
    });
  }

  const tokenSkip = registryToolsMissing("token");
  test("a real token registry refusing a wrong password: 401 from its token server, with a hint", {
    skip: tokenSkip,
  }, async () => {
    const registry = await startRegistry("token");
    try {
      const client = new RegistryClient({
        platform: AMD64,
        retries: 0,
        credentials: { username: HARNESS_CREDENTIALS.username, password: "wrong" },
      });
      const error = await rejection(
        client.headDigest({ registry: registry.host, repository: "team/app", tag: "1" }),
      );
      assert.match(error.message, /token server answered 401 \(UNAUTHORIZED: bad credentials\)/);
      assert.match(error.hint ?? "", /were refused: check the user name and password/);
    } finally {
      await registry.stop();
    }
  });
});

const missing = registryToolsMissing("anonymous") || imageToolsMissing();

describe("a manifest fetched by tag is checked against the Docker-Content-Digest the registry sent", {
  skip: missing,
}, () => {
  let registry: TestRegistry;
  let digest: string;

  before(async () => {
    registry = await startRegistry("anonymous");
    const image = await buildImage({ user: "1000" });
    await pushImage(image, registry, "team/app:1");
    await image.remove();
    const served = await fetch(`${registry.url}/v2/team/app/manifests/1`, {
      method: "HEAD",
      headers: { accept: "application/vnd.oci.image.manifest.v1+json" },
    });
    digest = served.headers.get("docker-content-digest") ?? "";
    assert.match(digest, /^sha256:[0-9a-f]{64}$/);
  });

  after(async () => {
    await registry?.stop();
  });

  test("an untouched manifest resolves by tag to the digest the registry names", async () => {
    const image = await new RegistryClient({ platform: AMD64 }).resolveImage({
      registry: registry.host,
      repository: "team/app",
      tag: "1",
    });
    assert.equal(image.manifestDigest, digest);
  });

  test("a manifest altered in the registry's storage is refused, naming both digests", async () => {
    const hex = digest.slice("sha256:".length);
    // The filesystem driver serves what it stored without checking it: alter the stored manifest
    const blob = join(registry.storageDir, "docker/registry/v2/blobs/sha256", hex.slice(0, 2), hex, "data");
    await writeFile(blob, `${await readFile(blob, "utf8")}\n`);
    const error = await rejection(
      new RegistryClient({ platform: AMD64 }).resolveImage({
        registry: registry.host,
        repository: "team/app",
        tag: "1",
      }),
    );
    assert.equal(error.code, "CIP_REGISTRY");
    assert.match(
      error.message,
      /Cannot trust the manifest of team\/app:1: its digest is sha256:[0-9a-f]{64}, expected sha256:[0-9a-f]{64}/,
    );
    assert.ok(error.message.includes(`expected ${digest}`), error.message);
  });
});
