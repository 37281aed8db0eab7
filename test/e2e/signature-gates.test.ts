import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { RegistryClient } from "../../src/image/registry/registry-client.js";
import { bundleOfRules, type RuleSpec } from "../support/one-rule-bundle.js";
import { runCliAsync } from "../support/run-cli.js";
import {
  buildImage,
  type ImageLayout,
  imageToolsMissing,
  manifestDescriptor,
  pushImage,
} from "./support/images.js";
import { registryToolsMissing, startRegistry, type TestRegistry } from "./support/registry-harness.js";
import { admissionAnswer, podReview, serveConfig } from "./support/serve-fixtures.js";
import { startServe } from "./support/serve-harness.js";

// The `signature` and `attestation` gates on images in a real registry: `cipolice check` reads the
// signatures and attestations beside the image, verifies them with keys named by --trusted-key or written
// into the bundle, and the rules fire on what a user would act on.
const skip = registryToolsMissing() || imageToolsMissing();
const PASSWORD = { CIPOLICE_PASSWORD: "gate keys" };

type Row = { gate: string; trigger: string; message: string; action: string };
type Decision = { status: string; bundle: { digest: string }; results: Row[] };

/** A bundle of one policy whose rules are given as (gate, trigger, params). */
function bundleOf(id: string, rules: RuleSpec[]): string {
  return JSON.stringify(bundleOfRules(id, rules));
}

describe("signature and attestation gates against a real registry", { skip }, () => {
  let dir: string;
  let registry: TestRegistry;
  const layouts: ImageLayout[] = [];
  const images: Record<"signed" | "unsigned" | "moved", { ref: string; digest: string }> = {
    signed: { ref: "", digest: "" },
    unsigned: { ref: "", digest: "" },
    moved: { ref: "", digest: "" },
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "cipolice-gates-"));
    registry = await startRegistry("anonymous");
    for (const name of ["signed", "unsigned", "moved"] as const) {
      const layout = await buildImage({ files: { [`/srv/${name}`]: `${name}\n` }, user: "1000" });
      layouts.push(layout);
      await pushImage(layout, registry, `gates/${name}:1`);
      images[name] = {
        ref: `${registry.host}/gates/${name}:1`,
        digest: (await manifestDescriptor(registry, `gates/${name}`, "1")).digest,
      };
    }
    for (const prefix of ["alice", "bob"]) {
      const run = await runCliAsync(["keys", "generate", "--output-prefix", join(dir, prefix)], {
        env: PASSWORD,
      });
      assert.equal(run.status, 0, run.stderr);
    }
    const sign = await cli(["sign", images.signed.ref, "--key", key("alice", "key"), "-a", "stage=release"]);
    assert.equal(sign.status, 0, sign.stderr);
    // The signed image's signature manifest and blobs, copied beside another image
    const c = new RegistryClient();
    const from = { registry: registry.host, repository: "gates/signed" };
    const to = { registry: registry.host, repository: "gates/moved" };
    const sig = await c.getManifest({ ...from, reference: sigTag(images.signed.digest) });
    assert.ok(sig);
    const manifest = JSON.parse(String(sig.body)) as {
      config: { digest: string };
      layers: { digest: string }[];
    };
    for (const blob of [manifest.config, ...manifest.layers]) {
      await c.pushBlob(to, await c.getBlob(from, blob.digest), {});
    }
    await c.pushManifest(
      { ...to, reference: sigTag(images.moved.digest) },
      sig.body,
      "application/vnd.oci.image.manifest.v1+json",
    );
  });

  after(async () => {
    await registry?.stop();
    await Promise.all(layouts.map((l) => l.remove()));
    await rm(dir, { recursive: true, force: true });
  });

  const key = (name: string, ext: "key" | "pub") => join(dir, `${name}.${ext}`);
  const cli = (args: string[]) => runCliAsync(args, { env: PASSWORD });
  const sigTag = (digest: string) => `${digest.replace(":", "-")}.sig`;
  let bundleCount = 0;
  const writeBundle = async (text: string) => {
    const path = join(dir, `bundle-${bundleCount++}.json`);
    await writeFile(path, text);
    return path;
  };
  const check = async (image: string, bundle: string, extra: string[] = []) => {
    const run = await cli(["check", image, "--policy", bundle, "--format", "json", ...extra]);
    assert.ok(run.status === 0 || run.status === 1, run.stderr);
    const decision = JSON.parse(run.stdout) as Decision;
    return {
      status: run.status,
      decision,
      fired: decision.results.map((r) => `${r.gate}/${r.trigger}: ${r.message}`),
    };
  };
  const signatureRules: RuleSpec[] = [
    ["signature", "missing", {}],
    ["signature", "invalid", {}],
    ["signature", "untrusted", { keys: "release", annotations: "stage=release" }],
  ];

  it("passes an image signed by the key the rule names, and names the key that is missing otherwise", async () => {
    const bundle = await writeBundle(bundleOf("sig", signatureRules));
    const trusted = await check(images.signed.ref, bundle, [
      "--trusted-key",
      `release=${key("alice", "pub")}`,
    ]);
    assert.equal(trusted.status, 0, trusted.fired.join("\n"));
    assert.deepEqual(trusted.fired, []);
    const other = await check(images.signed.ref, bundle, ["--trusted-key", `release=${key("bob", "pub")}`]);
    assert.equal(other.status, 1);
    assert.deepEqual(other.fired, [
      "signature/untrusted: No signature of the image verifies with release with annotations stage=release",
    ]);
    const unnamed = await check(images.signed.ref, bundle, ["--trusted-key", `ci=${key("alice", "pub")}`]);
    assert.equal(unnamed.status, 1);
    assert.match(unnamed.fired.join("\n"), /no key is configured under the name release/);
  });

  it("requires the annotations the rule lists", async () => {
    const bundle = await writeBundle(
      bundleOf("sig-annotated", [["signature", "untrusted", { keys: "release", annotations: "stage=prod" }]]),
    );
    const run = await check(images.signed.ref, bundle, ["--trusted-key", `release=${key("alice", "pub")}`]);
    assert.equal(run.status, 1);
    assert.match(run.fired.join("\n"), /with annotations stage=prod/);
  });

  it("fires missing on an unsigned image and invalid on a signature copied from another image", async () => {
    const bundle = await writeBundle(bundleOf("sig", signatureRules));
    const trust = ["--trusted-key", `release=${key("alice", "pub")}`];
    const unsigned = await check(images.unsigned.ref, bundle, trust);
    assert.equal(unsigned.status, 1);
    assert.deepEqual(unsigned.fired, ["signature/missing: The image has no cosign signature"]);
    const moved = await check(images.moved.ref, bundle, trust);
    assert.equal(moved.status, 1);
    assert.match(
      moved.fired.join("\n"),
      new RegExp(
        `signature/invalid: Signature layer 0 is invalid: signed for another image digest ${images.signed.digest}`,
      ),
    );
    assert.match(moved.fired.join("\n"), /signature\/untrusted: No signature of the image verifies/);
  });

  it("trusts a PEM key written into the rule itself, with no --trusted-key", async () => {
    const pem = await readFile(key("alice", "pub"), "utf8");
    const bundle = await writeBundle(bundleOf("sig-pem", [["signature", "untrusted", { key: pem }]]));
    const run = await check(images.signed.ref, bundle);
    assert.equal(run.status, 0, run.fired.join("\n"));
    const other = await writeBundle(
      bundleOf("sig-pem-bob", [
        ["signature", "untrusted", { key: await readFile(key("bob", "pub"), "utf8") }],
      ]),
    );
    assert.equal((await check(images.signed.ref, other)).status, 1);
  });

  it("attestation: a PASSED verification summary of the CI bundle is required; a FAILED one or one for another bundle is not enough", async () => {
    // CI: a bundle that passes the image, and one that fails it, each attested by check --attest
    const ciPass = await writeBundle(bundleOf("ci-pass", [["signature", "missing", {}]]));
    const ciFail = await writeBundle(bundleOf("ci-fail", [["always", "always", {}]]));
    const attest = async (bundle: string) => {
      const run = await cli([
        "check",
        images.signed.ref,
        "--policy",
        bundle,
        "--attest",
        "--key",
        key("alice", "key"),
        "--format",
        "json",
      ]);
      assert.ok(run.status === 0 || run.status === 1, run.stderr);
      return (JSON.parse(run.stdout) as Decision).bundle.digest;
    };
    const passDigest = await attest(ciPass);
    const failDigest = await attest(ciFail);
    const trust = ["--trusted-key", `ci=${key("alice", "pub")}`];
    const requiring = async (params: Record<string, string>) =>
      check(
        images.signed.ref,
        await writeBundle(bundleOf("admit", [["attestation", "verification_summary", params]])),
        trust,
      );
    const passed = await requiring({ keys: "ci", policy_digest: passDigest, max_age_days: "1" });
    assert.equal(passed.status, 0, passed.fired.join("\n"));
    const failed = await requiring({ keys: "ci", policy_digest: failDigest });
    assert.equal(failed.status, 1);
    assert.match(failed.fired.join("\n"), /it says FAILED/);
    // Without policy_digest the summary must be for the bundle being evaluated: the CI bundles are others
    const current = await requiring({ keys: "ci" });
    assert.equal(current.status, 1);
    assert.match(current.fired.join("\n"), new RegExp(`it is for another bundle \\(${passDigest}\\)`));
    const otherKey = await check(
      images.signed.ref,
      await writeBundle(
        bundleOf("admit-bob", [
          ["attestation", "verification_summary", { keys: "ci", policy_digest: passDigest }],
        ]),
      ),
      ["--trusted-key", `ci=${key("bob", "pub")}`],
    );
    assert.equal(otherKey.status, 1);
    assert.match(otherKey.fired.join("\n"), /not trusted: layer 0: no envelope signature/);
    const typed = await check(
      images.signed.ref,
      await writeBundle(
        bundleOf("admit-type", [
          ["attestation", "missing", { predicate_type: "https://slsa.dev/verification_summary/v1" }],
          ["attestation", "missing", { predicate_type: "https://slsa.dev/provenance/v1" }],
        ]),
      ),
      trust,
    );
    assert.deepEqual(typed.fired, [
      "attestation/missing: No attestation of type https://slsa.dev/provenance/v1 is signed by any trusted key",
    ]);
  });

  it("at admission: signed images are admitted, unsigned ones denied with the reason, keys from the server config", async () => {
    const bundle = await writeBundle(bundleOf("admit-sig", signatureRules));
    const server = await startServe({
      config: serveConfig(bundle, {
        signing: { trustedKeys: [{ name: "release", keyFile: key("alice", "pub") }], trustSummaries: false },
      }),
    });
    try {
      const admit = async (image: string) => {
        const answer = await server.request("POST", "/k8s/admission", podReview("prod", [image]));
        assert.equal(answer.status, 200, answer.text);
        return admissionAnswer(answer.json);
      };
      assert.equal((await admit(images.signed.ref)).allowed, true);
      const unsigned = await admit(images.unsigned.ref);
      assert.equal(unsigned.allowed, false);
      assert.match(unsigned.status?.message ?? "", /no cosign signature/);
      const moved = await admit(images.moved.ref);
      assert.equal(moved.allowed, false);
      assert.match(moved.status?.message ?? "", /signed for another image digest/);
    } finally {
      await server.stop();
    }
  });

  it("says the rules had no data for an image read from an OCI layout (no registry beside it)", async () => {
    const bundle = await writeBundle(bundleOf("sig", signatureRules));
    const layout = layouts[1] as ImageLayout;
    const run = await cli([
      "check",
      `oci:${layout.layoutDir}:${layout.tag}`,
      "--policy",
      bundle,
      "--format",
      "json",
    ]);
    const decision = JSON.parse(run.stdout) as Decision & { problems: { code: string; message: string }[] };
    assert.deepEqual(decision.results, []);
    assert.ok(
      decision.problems.some(
        (p) => p.code === "CIP_RULE_NO_DATA" && /signatures were not looked up/.test(p.message),
      ),
      JSON.stringify(decision.problems),
    );
  });
});
