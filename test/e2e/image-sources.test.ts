import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { ImageFacts } from "../../src/model/index.js";
import { runCliAsync } from "../support/run-cli.js";
import { buildImage, imageToolsMissing, pushImage, pushIndex, skopeoInspect } from "./support/images.js";
import { registryToolsMissing, startRegistry, type TestRegistry } from "./support/registry-harness.js";

const missing = registryToolsMissing("token") || imageToolsMissing();

async function factsOf(args: string[]): Promise<ImageFacts> {
  const run = await runCliAsync(["facts", ...args]);
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout) as ImageFacts;
}

for (const kind of ["anonymous", "htpasswd", "token"] as const) {
  describe(`cipolice reads images from a real ${kind} registry`, { skip: missing }, () => {
    let registry: TestRegistry;
    let creds: string[] = [];
    before(async () => {
      registry = await startRegistry(kind);
      creds = registry.credentials
        ? ["--creds", `${registry.credentials.username}:${registry.credentials.password}`]
        : [];
      const image = await buildImage({
        user: "1000:1000",
        env: ["APP_MODE=production"],
        exposedPorts: ["8080/tcp"],
        labels: { "org.opencontainers.image.source": "https://git.example.test/app" },
        entrypoint: ["/bin/app"],
        cmd: ["--serve"],
        workdir: "/srv",
      });
      await pushImage(image, registry, "team/app:1.0", registry.credentials);
      await image.remove();
    });
    after(async () => registry?.stop());

    test("every fact matches what skopeo inspect --config reports for the same image", async () => {
      const ref = `${registry.host}/team/app:1.0`;
      const facts = await factsOf([ref, ...creds]);
      const inspect = (await skopeoInspect(ref, registry.credentials)) as {
        Digest: string;
        Layers: string[];
      };
      const config = (await skopeoInspect(ref, registry.credentials, true)) as {
        architecture: string;
        os: string;
        config: {
          User: string;
          Env: string[];
          ExposedPorts: Record<string, unknown>;
          Labels: Record<string, string>;
          Entrypoint: string[];
          Cmd: string[];
          WorkingDir: string;
        };
      };
      assert.equal(facts.digest, inspect.Digest);
      assert.deepEqual(
        facts.layers?.map((l) => l.digest),
        inspect.Layers,
      );
      assert.equal(facts.platform?.architecture, config.architecture);
      assert.equal(facts.platform?.os, config.os);
      assert.equal(facts.config?.user, config.config.User);
      assert.deepEqual(facts.config?.env, config.config.Env);
      assert.deepEqual(facts.config?.exposedPorts, Object.keys(config.config.ExposedPorts));
      assert.deepEqual(facts.config?.labels, config.config.Labels);
      assert.deepEqual(facts.config?.entrypoint, config.config.Entrypoint);
      assert.deepEqual(facts.config?.cmd, config.config.Cmd);
      assert.equal(facts.config?.workdir, config.config.WorkingDir);
      // umoci records its own history ("umoci config"), not Dockerfile steps: nothing to rebuild from.
      assert.equal(facts.dockerfile?.mode, "unknown");
    });

    if (kind !== "anonymous") {
      test("without credentials the registry refuses, and the error says so and what to do", async () => {
        const run = await runCliAsync(["check", `${registry.host}/team/app:1.0`]);
        assert.equal(run.status, 2);
        assert.match(run.stderr, /CIP_REGISTRY/);
        assert.match(run.stderr, /UNAUTHORIZED|401/);
        assert.match(run.stderr, /hint:/);
      });
    }
  });
}

describe("a two-platform index: --platform chooses, the facts say which", { skip: missing }, () => {
  let registry: TestRegistry;
  let pushed: Awaited<ReturnType<typeof pushIndex>>;
  before(async () => {
    registry = await startRegistry("anonymous");
    pushed = await pushIndex(registry, "multi/app:2");
  });
  after(async () => registry?.stop());

  test("linux/arm64 and linux/amd64 resolve to their own manifests", async () => {
    for (const manifest of pushed.manifests) {
      const facts = await factsOf([
        `${registry.host}/multi/app:2`,
        "--platform",
        `${manifest.os}/${manifest.architecture}`,
      ]);
      assert.equal(facts.digest, manifest.digest);
      assert.equal(facts.platform?.architecture, manifest.architecture);
    }
  });

  test("a platform the index lacks is refused, listing the ones it has", async () => {
    const run = await runCliAsync(["check", `${registry.host}/multi/app:2`, "--platform", "linux/s390x"]);
    assert.equal(run.status, 2);
    assert.match(run.stderr, /linux\/s390x/);
    assert.match(run.stderr, /linux\/amd64/);
  });
});

describe("registry failures are clear errors with exit 2", { skip: missing }, () => {
  test("a tag the registry does not have: the registry's error code is in the message", async () => {
    const registry = await startRegistry("anonymous");
    try {
      const run = await runCliAsync(["check", `${registry.host}/nothing/here:1`]);
      assert.equal(run.status, 2);
      assert.match(run.stderr, /NAME_UNKNOWN|MANIFEST_UNKNOWN/);
    } finally {
      await registry.stop();
    }
  });

  test("a reference with both facts and a report is only named, never fetched (no network without --pull)", async () => {
    const run = await runCliAsync([
      "check",
      "127.0.0.1:9/none/such:1",
      "--facts",
      "examples/webapp.facts.json",
    ]);
    assert.notEqual(run.status, 2, run.stderr);
  });
});
