import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { ImageFacts } from "../../src/model/index.js";
import { runCliAsync } from "../support/run-cli.js";
import { buildImage, imageToolsMissing, pushImage, skopeoInspect } from "./support/images.js";
import { registryToolsMissing, startRegistry, type TestRegistry } from "./support/registry-harness.js";

const missing = registryToolsMissing("token") || imageToolsMissing();

describe("a registry serving HTTPS with a private CA", { skip: missing }, () => {
  let registry: TestRegistry;
  let ref: string;
  let scratch: string;
  before(async () => {
    registry = await startRegistry("anonymous", { tls: true });
    scratch = await mkdtemp(join(tmpdir(), "cipolice-tls-"));
    const image = await buildImage({ user: "1000", labels: { tier: "tls" } });
    await pushImage(image, registry, "team/app:1");
    await image.remove();
    ref = `${registry.host}/team/app:1`;
  });
  after(async () => {
    await registry?.stop();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  test("is read over HTTPS when its CA is given with --ca-file", async () => {
    const run = await runCliAsync(["facts", ref, "--ca-file", registry.caFile as string]);
    assert.equal(run.status, 0, run.stderr);
    const facts = JSON.parse(run.stdout) as ImageFacts;
    const inspect = (await skopeoInspect(ref)) as { Digest: string };
    assert.equal(facts.digest, inspect.Digest);
    assert.equal(facts.config?.labels?.tier, "tls");
  });

  test("without the CA, the untrusted certificate is the error (no silent fall back to HTTP)", async () => {
    const run = await runCliAsync(["facts", ref]);
    assert.equal(run.status, 2);
    assert.match(run.stderr, new RegExp(`the TLS connection to ${registry.host} failed \\(\\w+\\)`));
    assert.match(run.stderr, /--ca-file/);
    assert.doesNotMatch(run.stderr, /at .*\.ts:\d+/, "no stack trace without --debug");
  });

  test("a --ca-file that holds no certificate is refused before any request", async () => {
    const notPem = join(scratch, "not-a-ca.pem");
    await writeFile(notPem, "this is not a certificate\n");
    const run = await runCliAsync(["facts", ref, "--ca-file", notPem]);
    assert.equal(run.status, 2);
    assert.match(
      run.stderr,
      /Cannot use the CA file .*not-a-ca\.pem as CA certificates: it holds no PEM certificate/,
    );
  });
});
