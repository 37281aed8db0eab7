import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { type ManifestDescriptor, putManifest } from "../../../test/e2e/support/images.js";
import {
  freePort,
  HARNESS_CREDENTIALS,
  registryToolsMissing,
  startRegistry,
  type TestRegistry,
} from "../../../test/e2e/support/registry-harness.js";
import type { CipError } from "../../model/index.js";
import { RegistryClient } from "./registry-client.js";

const MISSING = ["/usr/bin/skopeo", "/usr/bin/umoci"].find((t) => !existsSync(t));
const SKIP: false | string =
  registryToolsMissing("htpasswd") || (MISSING === undefined ? false : `${MISSING} is not installed`);
const { username: USER, password: PASSWORD } = HARNESS_CREDENTIALS;
const AMD64 = { os: "linux", architecture: "amd64" };

function run(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

/** An OCI layout with a one-layer image per architecture, tagged by architecture name. */
function buildLayout(dir: string, architectures: string[], env = "A=1"): string {
  const layout = join(dir, "layout");
  run("umoci", ["init", "--layout", layout]);
  const file = join(dir, "hello.txt");
  writeFileSync(file, "hello\n");
  for (const arch of architectures) {
    const image = `${layout}:${arch}`;
    run("umoci", ["new", "--image", image]);
    run("umoci", [
      "config",
      "--image",
      image,
      "--config.user=1000",
      `--config.env=${env}`,
      "--architecture",
      arch,
    ]);
    run("umoci", ["insert", "--image", image, file, "/hello.txt"]);
  }
  return layout;
}

/** Adds an OCI image index over the given tags (with their platforms) to the layout, as tag `multi`. */
function addIndex(layout: string, tags: string[]): void {
  const indexPath = join(layout, "index.json");
  const top = JSON.parse(readFileSync(indexPath, "utf8")) as {
    manifests: { digest: string; size: number; mediaType: string; annotations?: Record<string, string> }[];
  };
  const manifests = tags.map((tag) => {
    const entry = top.manifests.find((m) => m.annotations?.["org.opencontainers.image.ref.name"] === tag);
    assert.ok(entry, `tag ${tag} in the layout`);
    return {
      mediaType: entry.mediaType,
      digest: entry.digest,
      size: entry.size,
      platform: { os: "linux", architecture: tag },
    };
  });
  const bytes = Buffer.from(
    JSON.stringify({ schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json", manifests }),
  );
  const hex = createHash("sha256").update(bytes).digest("hex");
  writeFileSync(join(layout, "blobs", "sha256", hex), bytes);
  top.manifests.push({
    mediaType: "application/vnd.oci.image.index.v1+json",
    digest: `sha256:${hex}`,
    size: bytes.length,
    annotations: { "org.opencontainers.image.ref.name": "multi" },
  });
  writeFileSync(indexPath, JSON.stringify(top));
}

function skopeoJson(args: string[]): Record<string, unknown> {
  return JSON.parse(run("skopeo", ["inspect", "--tls-verify=false", ...args])) as Record<string, unknown>;
}

async function rejectsWith(promise: Promise<unknown>, code: string, pattern: RegExp): Promise<CipError> {
  let caught: unknown;
  await promise.then(
    () => assert.fail("expected a rejection"),
    (error: unknown) => {
      caught = error;
    },
  );
  const error = caught as CipError;
  assert.equal(error.name, "CipError", String(caught));
  assert.equal(error.code, code);
  assert.match(error.message, pattern);
  assert.ok(error.hint !== undefined && error.hint.length > 0, "a hint says what to do");
  return error;
}

describe("RegistryClient against a real Distribution registry", { skip: SKIP }, () => {
  let registry: TestRegistry;
  let work: string;
  const layoutDigests = new Map<string, string>();

  before(async () => {
    registry = await startRegistry("anonymous");
    work = mkdtempSync(join(tmpdir(), "cip-image-"));
    const layout = buildLayout(work, ["amd64", "arm64"]);
    addIndex(layout, ["amd64", "arm64"]);
    const layoutIndex = JSON.parse(readFileSync(join(layout, "index.json"), "utf8")) as {
      manifests: { digest: string; annotations?: Record<string, string> }[];
    };
    for (const m of layoutIndex.manifests) {
      const tag = m.annotations?.["org.opencontainers.image.ref.name"];
      if (tag !== undefined) layoutDigests.set(tag, m.digest);
    }
    const push = (tag: string, dest: string, all = false) =>
      run("skopeo", [
        "copy",
        ...(all ? ["--all"] : []),
        "--dest-tls-verify=false",
        `oci:${layout}:${tag}`,
        `docker://${registry.host}/${dest}`,
      ]);
    push("amd64", "test/app:1");
    push("amd64", "test/app:2");
    push("multi", "test/multi:1", true);
  });

  after(async () => {
    await registry?.stop();
    if (work !== undefined) rmSync(work, { recursive: true, force: true });
  });

  test("resolves a tag to the manifest, config and layers skopeo sees", async () => {
    const client = new RegistryClient({ platform: AMD64 });
    const ref = { registry: registry.host, repository: "test/app", tag: "1" };
    const image = await client.resolveImage(ref);
    const inspected = skopeoJson([`docker://${registry.host}/test/app:1`]);
    const config = skopeoJson(["--config", `docker://${registry.host}/test/app:1`]);
    assert.equal(image.source, "registry");
    assert.equal(image.manifestDigest, inspected.Digest);
    assert.equal(image.indexDigest, undefined);
    assert.equal(image.manifestMediaType, "application/vnd.oci.image.manifest.v1+json");
    assert.deepEqual(image.config, config);
    assert.deepEqual(
      image.layers.map((l) => l.digest),
      inspected.Layers,
    );
    assert.equal(image.layers.length, 1);
    assert.match(image.configDigest ?? "", /^sha256:[0-9a-f]{64}$/);
    assert.equal(image.location, `http://${registry.host}/v2/test/app`);
    assert.equal((image.config as { config: { User: string } }).config.User, "1000");
  });

  test("resolves a digest reference, verifying the manifest against it", async () => {
    const client = new RegistryClient({ platform: AMD64 });
    const digest = await client.headDigest({ registry: registry.host, repository: "test/app", tag: "1" });
    const image = await client.resolveImage({ registry: registry.host, repository: "test/app", digest });
    assert.equal(image.manifestDigest, digest);
  });

  test("headDigest gives the Docker-Content-Digest skopeo reports", async () => {
    const client = new RegistryClient();
    const digest = await client.headDigest({ registry: registry.host, repository: "test/multi", tag: "1" });
    const raw = run("skopeo", [
      "inspect",
      "--raw",
      "--tls-verify=false",
      `docker://${registry.host}/test/multi:1`,
    ]);
    assert.equal(digest, `sha256:${createHash("sha256").update(raw).digest("hex")}`);
  });

  test("resolves an index to the image of the asked platform", async () => {
    const client = new RegistryClient({ platform: { os: "linux", architecture: "arm64" } });
    const image = await client.resolveImage({ registry: registry.host, repository: "test/multi", tag: "1" });
    // skopeo's Digest is the index's; its Layers and config are the arm64 image's
    const arm = skopeoJson(["--override-arch=arm64", `docker://${registry.host}/test/multi:1`]);
    const armConfig = skopeoJson([
      "--override-arch=arm64",
      "--config",
      `docker://${registry.host}/test/multi:1`,
    ]);
    assert.equal(image.indexDigest, arm.Digest);
    assert.equal(image.manifestDigest, layoutDigests.get("arm64"));
    assert.deepEqual(image.config, armConfig);
    assert.deepEqual(
      image.layers.map((l) => l.digest),
      arm.Layers,
    );
    assert.equal((image.config as { architecture: string }).architecture, "arm64");
  });

  test("an index without the asked platform is refused, listing the ones it has", async () => {
    const client = new RegistryClient({ platform: { os: "linux", architecture: "s390x" } });
    const ref = { registry: registry.host, repository: "test/multi", tag: "1" };
    await rejectsWith(
      client.resolveImage(ref),
      "CIP_USAGE",
      /linux\/s390x is not in the index, which has linux\/amd64, linux\/arm64/,
    );
  });

  test("lists tags and the catalog", async () => {
    const client = new RegistryClient();
    assert.deepEqual((await client.listTags(registry.host, "test/app")).sort(), ["1", "2"]);
    assert.deepEqual((await client.catalog(registry.host)).sort(), ["test/app", "test/multi"]);
  });

  test("an unknown tag fails with the registry's MANIFEST_UNKNOWN", async () => {
    const client = new RegistryClient();
    const ref = { registry: registry.host, repository: "test/app", tag: "nope" };
    await rejectsWith(
      client.resolveImage(ref),
      "CIP_REGISTRY",
      /404.*MANIFEST_UNKNOWN.*\/v2\/test\/app\/manifests\/nope/,
    );
  });

  test("an unknown repository's tags fail with NAME_UNKNOWN", async () => {
    const client = new RegistryClient();
    await rejectsWith(client.listTags(registry.host, "no/such"), "CIP_REGISTRY", /404.*NAME_UNKNOWN/);
  });

  test("content that does not match its digest is refused, naming both digests", async () => {
    // Tamper with the registry's own storage: the filesystem driver serves blobs without checking them
    const dir = mkdtempSync(join(work, "tamper-"));
    const layout = buildLayout(dir, ["amd64"], "TAMPER=1");
    run("skopeo", [
      "copy",
      "--dest-tls-verify=false",
      `oci:${layout}:amd64`,
      `docker://${registry.host}/test/tamper:1`,
    ]);
    const raw = JSON.parse(
      run("skopeo", ["inspect", "--raw", "--tls-verify=false", `docker://${registry.host}/test/tamper:1`]),
    ) as { config: { digest: string } };
    const hex = raw.config.digest.slice("sha256:".length);
    const blob = join(
      registry.storageDir,
      "docker",
      "registry",
      "v2",
      "blobs",
      "sha256",
      hex.slice(0, 2),
      hex,
      "data",
    );
    writeFileSync(blob, readFileSync(blob, "utf8").replace("TAMPER=1", "TAMPER=2"));
    const client = new RegistryClient({ platform: AMD64 });
    const error = await rejectsWith(
      client.resolveImage({ registry: registry.host, repository: "test/tamper", tag: "1" }),
      "CIP_REGISTRY",
      /Cannot trust the config blob sha256:[0-9a-f]{64} of test\/tamper: its digest is sha256:[0-9a-f]{64}, expected sha256:[0-9a-f]{64}/,
    );
    assert.ok(error.message.includes(`expected ${raw.config.digest}`));
  });

  test("a manifest over maxManifestBytes is refused", async () => {
    const client = new RegistryClient({ maxManifestBytes: 10, platform: AMD64 });
    const ref = { registry: registry.host, repository: "test/app", tag: "1" };
    await rejectsWith(
      client.resolveImage(ref),
      "CIP_INPUT_TOO_LARGE",
      /manifest of test\/app:1.*over the limit of 10/,
    );
  });

  test("a config blob over maxBlobBytes is refused", async () => {
    const client = new RegistryClient({ maxBlobBytes: 10, platform: AMD64 });
    const ref = { registry: registry.host, repository: "test/app", tag: "1" };
    await rejectsWith(
      client.resolveImage(ref),
      "CIP_INPUT_TOO_LARGE",
      /config blob sha256:.*over the limit of 10/,
    );
  });
});

describe("RegistryClient with Basic authentication (htpasswd)", { skip: SKIP }, () => {
  let registry: TestRegistry;
  let work: string;
  const ref = () => ({ registry: registry.host, repository: "private/app", tag: "1" });

  before(async () => {
    work = mkdtempSync(join(tmpdir(), "cip-auth-"));
    registry = await startRegistry("htpasswd");
    const layout = buildLayout(work, ["amd64"]);
    run("skopeo", [
      "copy",
      "--dest-tls-verify=false",
      `--dest-creds=${USER}:${PASSWORD}`,
      `oci:${layout}:amd64`,
      `docker://${registry.host}/private/app:1`,
    ]);
  });

  after(async () => {
    await registry?.stop();
    if (work !== undefined) rmSync(work, { recursive: true, force: true });
  });

  test("without credentials the registry's UNAUTHORIZED is reported with a login hint", async () => {
    const client = new RegistryClient({ platform: AMD64, dockerConfigPath: join(work, "absent.json") });
    const error = await rejectsWith(client.resolveImage(ref()), "CIP_REGISTRY", /401.*UNAUTHORIZED/);
    assert.match(error.hint ?? "", /docker login/);
  });

  test("credentials given directly are used", async () => {
    const client = new RegistryClient({
      platform: AMD64,
      credentials: { username: USER, password: PASSWORD },
    });
    const image = await client.resolveImage(ref());
    assert.equal((image.config as { config: { User: string } }).config.User, "1000");
    assert.deepEqual(await client.listTags(registry.host, "private/app"), ["1"]);
  });

  test("credentials come from Docker's config.json auths entry", async () => {
    const config = join(work, "config.json");
    const auth = Buffer.from(`${USER}:${PASSWORD}`).toString("base64");
    writeFileSync(config, JSON.stringify({ auths: { [`http://${registry.host}`]: { auth } } }));
    const client = new RegistryClient({ platform: AMD64, dockerConfigPath: config });
    assert.match(await client.headDigest(ref()), /^sha256:[0-9a-f]{64}$/);
  });

  test("a wrong password is reported as refused credentials", async () => {
    const client = new RegistryClient({
      platform: AMD64,
      credentials: { username: USER, password: "wrong" },
    });
    const error = await rejectsWith(client.headDigest(ref()), "CIP_REGISTRY", /401/);
    assert.match(error.hint ?? "", /refused the credentials/);
  });
});

describe("RegistryClient network failures", () => {
  test("a closed port is reported as connection refused", async () => {
    const port = await freePort();
    const client = new RegistryClient({ retries: 0 });
    const ref = { registry: `127.0.0.1:${port}`, repository: "test/app", tag: "1" };
    await rejectsWith(
      client.resolveImage(ref),
      "CIP_REGISTRY",
      new RegExp(`connection to 127\\.0\\.0\\.1:${port} was refused`),
    );
  });

  test("a host that does not resolve is reported as such", async () => {
    const client = new RegistryClient({ retries: 0 });
    const ref = { registry: "nosuchhost.invalid", repository: "test/app", tag: "1" };
    await rejectsWith(
      client.headDigest(ref),
      "CIP_REGISTRY",
      /host name nosuchhost\.invalid does not resolve/,
    );
  });

  test("a server that never answers times out", async () => {
    // A listening socket that accepts and stays silent: the request must give up at timeoutMs
    const sockets: import("node:net").Socket[] = [];
    const server = createServer((s) => sockets.push(s));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const address = server.address();
    const port = typeof address === "object" && address !== null ? address.port : 0;
    try {
      const client = new RegistryClient({ retries: 0, timeoutMs: 300 });
      const ref = { registry: `127.0.0.1:${port}`, repository: "test/app", tag: "1" };
      await rejectsWith(
        client.resolveImage(ref),
        "CIP_REGISTRY",
        /no answer from 127\.0\.0\.1:\d+ within 300 ms/,
      );
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    }
  });

  test("CA certificates that do not parse are refused when the client is made, naming the source", () => {
    assert.throws(() => new RegistryClient({ caCertificates: ["not a certificate"] }), {
      code: "CIP_PARSE",
      message: /Cannot use CA certificate 1 as CA certificates: it holds no PEM certificate/,
    });
    const damaged = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
    assert.throws(() => new RegistryClient({ caCertificates: [damaged] }), {
      code: "CIP_PARSE",
      message: /certificate 1 of 1 does not parse/,
    });
    assert.throws(() => new RegistryClient({ caFiles: ["/nonexistent/ca.pem"] }), {
      code: "CIP_FILE_READ",
      message: /Cannot read the CA file \/nonexistent\/ca\.pem/,
    });
  });
});

describe("RegistryClient follows nested indexes (an index entry that is an index)", { skip: SKIP }, () => {
  const OCI_INDEX = "application/vnd.oci.image.index.v1+json";
  const ARM64 = { os: "linux", architecture: "arm64" };
  let registry: TestRegistry;
  let work: string;
  /** The layout's manifests by architecture, as index entries with their platform. */
  const entries = new Map<string, ManifestDescriptor & { platform: { os: string; architecture: string } }>();
  let inner: ManifestDescriptor;
  let outer: ManifestDescriptor;
  const ref = (tag: string) => ({ registry: registry.host, repository: "test/nested", tag });
  const index = (manifests: object[], annotations?: Record<string, string>) => ({
    schemaVersion: 2,
    mediaType: OCI_INDEX,
    manifests,
    ...(annotations === undefined ? {} : { annotations }),
  });

  before(async () => {
    registry = await startRegistry("anonymous");
    work = mkdtempSync(join(tmpdir(), "cip-nested-"));
    const layout = buildLayout(work, ["amd64", "arm64"]);
    const layoutIndex = JSON.parse(readFileSync(join(layout, "index.json"), "utf8")) as {
      manifests: (ManifestDescriptor & { annotations: Record<string, string> })[];
    };
    for (const m of layoutIndex.manifests) {
      const architecture = m.annotations["org.opencontainers.image.ref.name"] ?? "";
      const dest = `docker://${registry.host}/test/nested:${architecture}`;
      run("skopeo", ["copy", "--dest-tls-verify=false", `oci:${layout}:${architecture}`, dest]);
      entries.set(architecture, {
        mediaType: m.mediaType,
        digest: m.digest,
        size: m.size,
        platform: { os: "linux", architecture },
      });
    }
    inner = await putManifest(registry, "test/nested", "inner", index([...entries.values()]));
    // One entry without a platform: the only candidate, as selectPlatform and the layout reader take it
    outer = await putManifest(registry, "test/nested", "nested", index([inner]));
  });

  after(async () => {
    await registry?.stop();
    if (work !== undefined) rmSync(work, { recursive: true, force: true });
  });

  test("resolves index -> index -> manifest to the asked platform, as skopeo does", async () => {
    const image = await new RegistryClient({ platform: ARM64 }).resolveImage(ref("nested"));
    const nested = `docker://${registry.host}/test/nested:nested`;
    const arm = skopeoJson(["--override-arch=arm64", nested]);
    const armConfig = skopeoJson(["--override-arch=arm64", "--config", nested]);
    assert.equal(image.manifestDigest, entries.get("arm64")?.digest);
    // The digest the reference names, as for a one-level index
    assert.equal(image.indexDigest, outer.digest);
    assert.equal(arm.Digest, outer.digest);
    assert.deepEqual(image.config, armConfig);
    assert.equal((image.config as { architecture: string }).architecture, "arm64");
    assert.deepEqual(
      image.layers.map((l) => l.digest),
      arm.Layers,
    );
    const amd = await new RegistryClient({ platform: AMD64 }).resolveImage(ref("nested"));
    assert.equal(amd.manifestDigest, entries.get("amd64")?.digest);
  });

  test("chooses the platform at every level: an arm64 index beside an amd64 manifest", async () => {
    const armOnly = await putManifest(
      registry,
      "test/nested",
      "arm-only",
      index([entries.get("arm64") as object]),
    );
    const split = await putManifest(
      registry,
      "test/nested",
      "split",
      index([{ ...armOnly, platform: ARM64 }, entries.get("amd64") as object]),
    );
    const arm = await new RegistryClient({ platform: ARM64 }).resolveImage(ref("split"));
    assert.equal(arm.manifestDigest, entries.get("arm64")?.digest);
    assert.equal(arm.indexDigest, split.digest);
    const amd = await new RegistryClient({ platform: AMD64 }).resolveImage(ref("split"));
    assert.equal(amd.manifestDigest, entries.get("amd64")?.digest);
  });

  test("a platform missing from the inner index is refused, naming the inner index and the way to it", async () => {
    const client = new RegistryClient({ platform: { os: "linux", architecture: "s390x" } });
    const error = await rejectsWith(
      client.resolveImage(ref("nested")),
      "CIP_USAGE",
      /linux\/s390x is not in the index, which has linux\/amd64, linux\/arm64/,
    );
    assert.ok(error.message.includes(`index ${inner.digest} of ${registry.host}/test/nested:nested`));
    assert.ok(error.message.includes(`reached through ${outer.digest}`));
  });

  test("8 nested indexes resolve; 9 are refused with CIP_IMAGE_INVALID naming the chain", async () => {
    // outer -> inner is 2 deep; each tag deepN wraps the one before
    const chain = [outer.digest, inner.digest];
    let link = outer;
    for (let depth = 3; depth <= 9; depth++) {
      link = await putManifest(registry, "test/nested", `deep${depth}`, index([link]));
      chain.unshift(link.digest);
    }
    const client = new RegistryClient({ platform: ARM64 });
    const eight = await client.resolveImage(ref("deep8"));
    assert.equal(eight.manifestDigest, entries.get("arm64")?.digest);
    assert.equal(eight.indexDigest, chain[1]);
    const error = await rejectsWith(
      client.resolveImage(ref("deep9")),
      "CIP_IMAGE_INVALID",
      /test\/nested:deep9: its indexes are nested more than 8 deep/,
    );
    assert.ok(error.message.includes(`(${chain.join(" -> ")})`), error.message);
  });

  test("an inner index whose content does not match its digest is refused", async () => {
    // An inner index of its own (an annotation makes it unique), so tampering with it spoils no other test
    const own = await putManifest(
      registry,
      "test/nested",
      "tamper-inner",
      index([...entries.values()], { "org.cipolice.test": "a" }),
    );
    await putManifest(registry, "test/nested", "tamper", index([own]));
    const hex = own.digest.slice("sha256:".length);
    const blob = join(registry.storageDir, "docker/registry/v2/blobs/sha256", hex.slice(0, 2), hex, "data");
    writeFileSync(
      blob,
      readFileSync(blob, "utf8").replace('"org.cipolice.test":"a"', '"org.cipolice.test":"b"'),
    );
    const client = new RegistryClient({ platform: ARM64 });
    const error = await rejectsWith(
      client.resolveImage(ref("tamper")),
      "CIP_REGISTRY",
      /Cannot trust the manifest of test\/nested@sha256:[0-9a-f]{64}: its digest is sha256:[0-9a-f]{64}/,
    );
    assert.ok(error.message.includes(`expected ${own.digest}`), error.message);
  });
});
