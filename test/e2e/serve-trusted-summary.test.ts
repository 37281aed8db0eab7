import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { parseImageReference } from "../../src/image/image-reference.js";
import { RegistryClient } from "../../src/image/registry/registry-client.js";
import { loadBundle } from "../../src/service/load-bundle.js";
import { attestImage } from "../../src/service/sign-image.js";
import { loadPrivateKey } from "../../src/sign/keys/index.js";
import { VSA_PREDICATE_TYPE, verificationSummary } from "../../src/sign/verification-summary.js";
import { REPO_ROOT } from "../support/corpus.js";
import { runCliAsync } from "../support/run-cli.js";
import { buildImage, type ImageLayout, imageToolsMissing, pushImage } from "./support/images.js";
import { registryToolsMissing, startRegistry, type TestRegistry } from "./support/registry-harness.js";
import {
  admissionAnswer,
  type ExampleBundle,
  exampleBundleFor,
  podReview,
  serveConfig,
} from "./support/serve-fixtures.js";
import { type RunningServe, startServe, waitForLog } from "./support/serve-harness.js";

// A decision made in CI, signed as a SLSA verification summary (`check --attest`), is trusted at admission:
// `cipolice serve` with the CI key among its trusted keys admits the image without evaluating it again and
// says so in the decision log. A summary for another bundle, a FAILED one, or one signed by another key is
// not trusted: the image is evaluated as usual (here: no scan data stored, so denied in production).
const skip = registryToolsMissing() || imageToolsMissing();
const PASSWORD = { CIPOLICE_PASSWORD: "ci-signing-passphrase" };

describe("cipolice serve trusts signed verification summaries", { skip }, () => {
  let dir: string;
  let registry: TestRegistry;
  let bundle: ExampleBundle;
  let server: RunningServe;
  const layouts: ImageLayout[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "cipolice-vsa-"));
    registry = await startRegistry("anonymous");
    bundle = await exampleBundleFor(registry.host);
    for (const prefix of ["ci", "stranger"]) {
      const run = await runCliAsync(["keys", "generate", "--output-prefix", join(dir, prefix)], {
        env: PASSWORD,
      });
      assert.equal(run.status, 0, run.stderr);
    }
    server = await startServe({
      config: serveConfig(bundle.path, {
        decisionLog: { stdout: true },
        // "No summary yet" and unknown outcomes are kept this long: the test attests right after a denial
        cache: { negativeTtlSeconds: 1 },
        signing: { trustedKeys: [{ name: "ci", keyFile: join(dir, "ci.pub") }] },
      }),
    });
  });

  after(async () => {
    await server?.stop();
    await registry?.stop();
    await bundle?.remove();
    await Promise.all(layouts.map((l) => l.remove()));
    await rm(dir, { recursive: true, force: true });
  });

  async function pushed(name: string): Promise<string> {
    const layout = await buildImage({ files: { [`/srv/${name}/version`]: "1\n" }, user: "1000" });
    layouts.push(layout);
    await pushImage(layout, registry, `web/${name}:1.0`);
    return `${registry.host}/web/${name}:1.0`;
  }

  async function attest(image: string, key: string, policy: string): Promise<void> {
    const run = await runCliAsync(
      ["check", image, "--policy", policy, "--attest", "--key", join(dir, `${key}.key`), "--quiet"],
      {
        env: PASSWORD,
      },
    );
    assert.match(run.stderr, /verification summary (PASSED|FAILED)/, run.stdout + run.stderr);
  }

  async function admit(image: string) {
    const answer = await server.request("POST", "/k8s/admission", podReview("prod", [image]));
    assert.equal(answer.status, 200, answer.text);
    return admissionAnswer(answer.json);
  }

  it("admits an image whose PASSED summary for this bundle is signed by a trusted key, without evaluating it", async () => {
    const image = await pushed("trusted");
    // Without a summary: no scan data is stored, so production denies it (fail mode closed)
    assert.equal((await admit(image)).allowed, false);
    await attest(image, "ci", bundle.path);
    await new Promise((r) => setTimeout(r, 1_100));
    const answer = await server.request("POST", "/k8s/admission", podReview("prod", [image]));
    const response = admissionAnswer(answer.json);
    assert.equal(response.allowed, true, answer.text);
    // The decision log reaches this process through the server's stdout, which may come after the answer
    const logged = (
      await waitForLog(server, "trusted verification summary", (l) => l.origin === "admission")
    ).map((l) => JSON.stringify(l));
    assert.ok(logged.length > 0, `no decision log line says it was trusted:\n${server.logs().slice(-3000)}`);
    assert.match(logged[0] ?? "", /signed by ci/);
    assert.match(logged[0] ?? "", /"decisions":\[\]/);
  });

  it("does not trust a summary for another bundle, or one signed by a key it does not know", async () => {
    const other = await pushed("otherbundle");
    await attest(other, "ci", join(REPO_ROOT, "policies", "default-bundle.yaml"));
    assert.equal((await admit(other)).allowed, false);
    const stranger = await pushed("stranger");
    await attest(stranger, "stranger", bundle.path);
    assert.equal((await admit(stranger)).allowed, false);
  });

  it("does not trust a FAILED summary for this bundle, signed by the trusted key", async () => {
    const image = await pushed("failed");
    const ref = parseImageReference(image);
    const privateKey = loadPrivateKey(
      await readFile(join(dir, "ci.key"), "utf8"),
      PASSWORD.CIPOLICE_PASSWORD,
      "ci.key",
    );
    const compiled = loadBundle(bundle.text, bundle.path);
    const client = new RegistryClient();
    try {
      const digest = await client.headDigest(ref);
      const predicate = verificationSummary({
        verifierVersion: "0.1.0",
        policyName: compiled.bundle.name ?? compiled.bundle.id,
        policyDigest: compiled.digest,
        resource: `${ref.registry}/${ref.repository}`,
        imageDigest: digest,
        time: new Date(),
        passed: false,
      });
      await attestImage(ref, VSA_PREDICATE_TYPE, predicate as unknown as Record<string, unknown>, {
        client,
        privateKey,
        digest,
      });
    } finally {
      client.close();
    }
    const run = await runCliAsync(["verify-attestation", image, "--key", join(dir, "ci.pub")]);
    assert.match(run.stdout, /: FAILED /, "the FAILED summary is there and verifies");
    const answer = await admit(image);
    assert.equal(answer.allowed, false);
    assert.match(answer.status?.message ?? "", /no scan data/);
  });
});
