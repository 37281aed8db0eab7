import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { RegistryClient } from "../../src/image/registry/registry-client.js";
import { runCliAsync } from "../support/run-cli.js";
import {
  buildImage,
  type ImageLayout,
  imageToolsMissing,
  manifestDescriptor,
  pushImage,
} from "./support/images.js";
import { registryToolsMissing, startRegistry, type TestRegistry } from "./support/registry-harness.js";

// `cipolice keys generate`, `sign` and `verify` against a real Distribution registry: signatures are cosign's
// (`sha256-<hex>.sig` beside the image), kept when another key signs, and every tampering is refused with a
// message that says which.
const skip = registryToolsMissing() || imageToolsMissing();
const PASSWORD = { CIPOLICE_PASSWORD: "correct horse battery staple" };
type SigManifest = { layers: { digest: string; annotations: Record<string, string> }[] };

describe("cipolice sign and verify against a real registry", { skip }, () => {
  let dir: string;
  let registry: TestRegistry;
  const layouts: ImageLayout[] = [];
  const images: Record<"app" | "other" | "good", { ref: string; digest: string }> = {
    app: { ref: "", digest: "" },
    other: { ref: "", digest: "" },
    good: { ref: "", digest: "" },
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "cipolice-sign-"));
    registry = await startRegistry("anonymous");
    for (const [name, version] of [
      ["app", "1.0"],
      ["other", "2.0"],
      ["good", "3.0"],
    ] as const) {
      // `good` runs as a user: the default bundle stops images that run as root
      const layout = await buildImage({
        files: { [`/srv/${name}/version`]: `${version}\n` },
        ...(name === "good" ? { user: "1000" } : {}),
      });
      layouts.push(layout);
      await pushImage(layout, registry, `web/${name}:${version}`);
      images[name] = {
        ref: `${registry.host}/web/${name}:${version}`,
        digest: (await manifestDescriptor(registry, `web/${name}`, version)).digest,
      };
    }
    for (const prefix of ["alice", "bob"]) {
      const run = await runCliAsync(["keys", "generate", "--output-prefix", join(dir, prefix)], {
        env: PASSWORD,
      });
      assert.equal(run.status, 0, run.stderr);
    }
  });

  after(async () => {
    await registry?.stop();
    await Promise.all(layouts.map((l) => l.remove()));
    await rm(dir, { recursive: true, force: true });
  });

  const key = (name: string, ext: "key" | "pub") => join(dir, `${name}.${ext}`);
  const cli = (args: string[]) => runCliAsync(args, { env: PASSWORD });
  const client = () => new RegistryClient();
  const target = (name: "app" | "other") => ({ registry: registry.host, repository: `web/${name}` });
  const sigTag = (digest: string) => `${digest.replace(":", "-")}.sig`;

  it("signs with a key from keys generate; the signature verifies with its public key and no other", async () => {
    const sign = await cli(["sign", images.app.ref, "--key", key("alice", "key"), "-a", "build=42"]);
    assert.equal(sign.status, 0, sign.stderr);
    assert.match(sign.stdout, new RegExp(`signed .*${images.app.digest}.*${sigTag(images.app.digest)}`));
    const verify = await cli(["verify", images.app.ref, "--key", key("alice", "pub")]);
    assert.equal(verify.status, 0, verify.stdout + verify.stderr);
    assert.match(verify.stdout, /valid {4}layer 0: signed by .*alice\.pub/);
    const json = await cli(["verify", images.app.ref, "--key", key("alice", "pub"), "--format", "json"]);
    const report = JSON.parse(json.stdout) as { signatures: { annotations?: Record<string, string> }[] };
    assert.deepEqual(report.signatures[0]?.annotations, { build: "42" });
    const wrong = await cli(["verify", images.app.ref, "--key", key("bob", "pub")]);
    assert.equal(wrong.status, 1, wrong.stdout);
    assert.match(wrong.stdout, /refused {2}layer 0: signature does not verify with any trusted key/);
    assert.match(wrong.stdout, /not verified: no valid signature/);
  });

  it("keeps earlier signatures when another key signs, and signing the same payload again changes nothing", async () => {
    const bob = await cli(["sign", images.app.ref, "--key", key("bob", "key"), "-a", "build=43"]);
    assert.equal(bob.status, 0, bob.stderr);
    const again = await cli(["sign", images.app.ref, "--key", key("bob", "key"), "-a", "build=43"]);
    assert.equal(again.status, 0, again.stderr);
    const manifest = await client().getManifest({ ...target("app"), reference: sigTag(images.app.digest) });
    assert.equal((JSON.parse(String(manifest?.body)) as SigManifest).layers.length, 2);
    const both = await cli([
      "verify",
      images.app.ref,
      "--key",
      key("alice", "pub"),
      "--key",
      key("bob", "pub"),
    ]);
    assert.equal(both.status, 0, both.stdout);
    assert.match(both.stdout, /verified: 2 valid signature\(s\)/);
  });

  it("refuses a swapped signature, a signature for another digest, and a payload changed after signing, saying which", async () => {
    const c = client();
    const tag = sigTag(images.app.digest);
    const original = await c.getManifest({ ...target("app"), reference: tag });
    assert.ok(original);
    const manifest = JSON.parse(String(original.body)) as SigManifest & Record<string, unknown>;
    const signature = (i: number) =>
      manifest.layers[i]?.annotations["dev.cosignproject.cosign/signature"] ?? "";
    const pushSig = async (name: "app" | "other", digest: string, m: unknown) =>
      c.pushManifest(
        { ...target(name), reference: sigTag(digest) },
        Buffer.from(JSON.stringify(m)),
        "application/vnd.oci.image.manifest.v1+json",
      );
    const trusted = ["--key", key("alice", "pub"), "--key", key("bob", "pub")];

    // 1. The two layers' signatures swapped
    const swapped = structuredClone(manifest);
    const [s0, s1] = [signature(0), signature(1)];
    (swapped.layers[0] as { annotations: Record<string, string> }).annotations[
      "dev.cosignproject.cosign/signature"
    ] = s1;
    (swapped.layers[1] as { annotations: Record<string, string> }).annotations[
      "dev.cosignproject.cosign/signature"
    ] = s0;
    await pushSig("app", images.app.digest, swapped);
    const swap = await cli(["verify", images.app.ref, ...trusted]);
    assert.equal(swap.status, 1, swap.stdout);
    assert.match(swap.stdout, /refused {2}layer 0: swapped signature/);

    // 2. app's valid signature copied beside another image: signed for another digest
    // The signature manifest's blobs, copied into the other repository
    for (const layer of manifest.layers) {
      await c.pushBlob(target("other"), await c.getBlob(target("app"), layer.digest), {
        mountFrom: "web/app",
      });
    }
    await c.pushBlob(
      target("other"),
      await c.getBlob(target("app"), (manifest.config as { digest: string }).digest),
      {},
    );
    await pushSig("other", images.other.digest, manifest);
    const moved = await cli(["verify", images.other.ref, ...trusted]);
    assert.equal(moved.status, 1, moved.stdout);
    assert.match(
      moved.stdout,
      new RegExp(`refused  layer 0: signed for another image digest ${images.app.digest}`),
    );

    // 3. The payload rewritten to name another digest, the signature kept: it no longer verifies
    const payload = JSON.parse(String(await c.getBlob(target("app"), manifest.layers[0]?.digest ?? ""))) as {
      critical: { image: { "docker-manifest-digest": string } };
    };
    payload.critical.image["docker-manifest-digest"] = images.other.digest;
    const forged = Buffer.from(JSON.stringify(payload));
    const pushed = await c.pushBlob(target("other"), forged, {});
    const tampered = structuredClone(manifest);
    tampered.layers = [
      {
        ...(manifest.layers[0] as SigManifest["layers"][number]),
        digest: pushed.digest,
        size: forged.length,
      } as never,
    ];
    await pushSig("other", images.other.digest, tampered);
    const forgedRun = await cli(["verify", images.other.ref, ...trusted]);
    assert.equal(forgedRun.status, 1, forgedRun.stdout);
    assert.match(forgedRun.stdout, /refused {2}layer 0: signature does not verify with any trusted key/);

    // Restored: app verifies again
    await pushSig("app", images.app.digest, manifest);
    assert.equal((await cli(["verify", images.app.ref, ...trusted])).status, 0);
  });

  it("check --sign --attest: a passing image is signed and attested PASSED; a failing one only attested FAILED", async () => {
    const good = await cli([
      "check",
      images.good.ref,
      "--sign",
      "--attest",
      "--key",
      key("alice", "key"),
      "--quiet",
    ]);
    assert.ok(good.status === 0, good.stdout + good.stderr);
    assert.match(good.stderr, /signed .* under sha256-.*\.sig/);
    assert.match(good.stderr, /verification summary PASSED under sha256-.*\.att/);
    const verify = await cli(["verify", images.good.ref, "--key", key("alice", "pub"), "--format", "json"]);
    assert.equal(verify.status, 0, verify.stdout);
    const annotations = (
      JSON.parse(verify.stdout) as { signatures: { annotations: Record<string, string> }[] }
    ).signatures[0]?.annotations;
    assert.match(annotations?.["dev.cipolice/bundle-digest"] ?? "", /^sha256:[0-9a-f]{64}$/);
    const vsa = await cli([
      "verify-attestation",
      images.good.ref,
      "--key",
      key("alice", "pub"),
      "--type",
      "vsa",
    ]);
    assert.equal(vsa.status, 0, vsa.stdout);
    assert.match(
      vsa.stdout,
      /valid {4}layer 0: https:\/\/slsa\.dev\/verification_summary\/v1 signed by .*: PASSED .* sha256:[0-9a-f]{64}/,
    );
    // Another key's attestations are not trusted
    const other = await cli(["verify-attestation", images.good.ref, "--key", key("bob", "pub")]);
    assert.equal(other.status, 1, other.stdout);

    // app runs as root: the default bundle stops it
    const bad = await cli([
      "check",
      images.app.ref,
      "--sign",
      "--attest",
      "--key",
      key("alice", "key"),
      "--quiet",
    ]);
    assert.equal(bad.status, 1, bad.stdout + bad.stderr);
    assert.match(bad.stderr, /not signed: the decision fails \(STOP\)/);
    assert.match(bad.stderr, /verification summary FAILED/);
    const failed = await cli(["verify-attestation", images.app.ref, "--key", key("alice", "pub")]);
    assert.match(failed.stdout, /: FAILED /);
  });

  it("says so when an image has no signatures, and refuses keys it cannot use before any push", async () => {
    const none = await cli([
      "verify",
      images.other.ref.replace("web/other:2.0", "web/other:missing"),
      "--key",
      key("alice", "pub"),
    ]);
    assert.equal(none.status, 2, none.stdout);
    const wrongPass = await runCliAsync(["sign", images.other.ref, "--key", key("alice", "key")], {
      env: { CIPOLICE_PASSWORD: "wrong" },
    });
    assert.equal(wrongPass.status, 2, wrongPass.stdout);
    assert.match(wrongPass.stderr, /wrong passphrase/);
    const truncated = join(dir, "truncated.key");
    await import("node:fs/promises").then(async (fs) =>
      fs.writeFile(truncated, (await readFile(key("alice", "key"), "utf8")).slice(0, 200)),
    );
    const bad = await cli(["sign", images.other.ref, "--key", truncated]);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /truncated|END line/i);
  });
});
