import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { ImageFacts } from "../../src/model/index.js";
import { runCliAsync } from "../support/run-cli.js";
import {
  buildImage,
  imageToolsMissing,
  type ManifestDescriptor,
  manifestDescriptor,
  pushImage,
  putManifest,
  skopeoInspect,
} from "./support/images.js";
import { registryToolsMissing, startRegistry, type TestRegistry } from "./support/registry-harness.js";

const missing = registryToolsMissing("anonymous") || imageToolsMissing();
const OCI_INDEX = "application/vnd.oci.image.index.v1+json";
const REPO = "nested/app";
const FLAVOUR = "org.cipolice.test.flavour";

/** An OCI image index document listing `manifests`. */
function index(manifests: object[]): { mediaType: string } & Record<string, unknown> {
  return { schemaVersion: 2, mediaType: OCI_INDEX, manifests };
}

describe("an index whose entry is an index, read from a real registry", { skip: missing }, () => {
  let registry: TestRegistry;
  let inner: ManifestDescriptor;
  let outer: ManifestDescriptor;

  before(async () => {
    registry = await startRegistry("anonymous");
    const platforms: ManifestDescriptor[] = [];
    for (const architecture of ["amd64", "arm64"]) {
      const image = await buildImage({
        architecture,
        os: "linux",
        labels: { [FLAVOUR]: `${architecture}-build` },
        env: [`PLATFORM=${architecture}`],
      });
      try {
        await pushImage(image, registry, `${REPO}:${architecture}`);
      } finally {
        await image.remove();
      }
      const descriptor = await manifestDescriptor(registry, REPO, architecture);
      platforms.push({ ...descriptor, platform: { os: "linux", architecture } } as ManifestDescriptor);
    }
    inner = await putManifest(registry, REPO, "inner", index(platforms));
    // The outer entry has no platform, as an index wrapping one multi-platform index may
    outer = await putManifest(registry, REPO, "nested", index([inner]));
  });
  after(async () => registry?.stop());

  test("--platform linux/arm64 gives the arm64 image's config and the digest skopeo reports", async () => {
    const ref = `${registry.host}/${REPO}:nested`;
    const run = await runCliAsync(["facts", ref, "--platform", "linux/arm64"]);
    assert.equal(run.status, 0, run.stderr);
    const facts = JSON.parse(run.stdout) as ImageFacts;
    const arm = (await skopeoInspect(`${registry.host}/${REPO}:arm64`)) as {
      Digest: string;
      Layers: string[];
    };
    assert.equal(facts.digest, arm.Digest);
    assert.deepEqual(
      facts.layers?.map((l) => l.digest),
      arm.Layers,
    );
    assert.equal(facts.platform?.architecture, "arm64");
    assert.equal(facts.platform?.os, "linux");
    assert.equal(facts.config?.labels?.[FLAVOUR], "arm64-build");
    assert.deepEqual(facts.config?.env, ["PLATFORM=arm64"]);
  });

  test("--platform linux/amd64 through the same indexes gives the amd64 image", async () => {
    const run = await runCliAsync(["facts", `${registry.host}/${REPO}:nested`, "--platform", "linux/amd64"]);
    assert.equal(run.status, 0, run.stderr);
    const facts = JSON.parse(run.stdout) as ImageFacts;
    const amd = (await skopeoInspect(`${registry.host}/${REPO}:amd64`)) as { Digest: string };
    assert.equal(facts.digest, amd.Digest);
    assert.equal(facts.config?.labels?.[FLAVOUR], "amd64-build");
  });

  test("a platform the inner index lacks is refused, naming the index and the platforms it has", async () => {
    const run = await runCliAsync(["facts", `${registry.host}/${REPO}:nested`, "--platform", "linux/s390x"]);
    assert.equal(run.status, 2);
    assert.match(run.stderr, /linux\/s390x is not in the index, which has linux\/amd64, linux\/arm64/);
    assert.ok(run.stderr.includes(`reached through ${outer.digest}`), run.stderr);
  });

  test("indexes nested 9 deep are refused with CIP_IMAGE_INVALID, naming the chain", async () => {
    let link = outer;
    const chain = [outer.digest, inner.digest];
    // outer is 2 deep (outer -> inner); 7 more make 9
    for (let depth = 3; depth <= 9; depth++) {
      link = await putManifest(registry, REPO, `deep${depth}`, index([link]));
      chain.unshift(link.digest);
    }
    const run = await runCliAsync(["facts", `${registry.host}/${REPO}:deep9`, "--platform", "linux/arm64"]);
    assert.equal(run.status, 2);
    assert.match(run.stderr, /CIP_IMAGE_INVALID/);
    assert.match(run.stderr, /nested more than 8 deep/);
    assert.ok(run.stderr.includes(chain.join(" -> ")), run.stderr);
  });
});
