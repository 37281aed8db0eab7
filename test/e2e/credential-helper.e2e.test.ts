import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { ImageFacts } from "../../src/model/index.js";
import { answer, NO_SHELL, receivedBy, writeHelper } from "../support/credential-helper-script.js";
import { runCliAsync } from "../support/run-cli.js";
import { buildImage, imageToolsMissing, pushImage, skopeoInspect } from "./support/images.js";
import { registryToolsMissing, startRegistry, type TestRegistry } from "./support/registry-harness.js";

const missing = registryToolsMissing("htpasswd") || imageToolsMissing() || NO_SHELL;

describe("cipolice gets registry credentials from a Docker credential helper", { skip: missing }, () => {
  let registry: TestRegistry;
  let dir: string;
  let bin: string;
  let ref: string;

  /** A DOCKER_CONFIG directory whose config.json is `config`. */
  function dockerConfig(name: string, config: unknown): string {
    const configDir = join(dir, name);
    mkdirSync(configDir);
    writeFileSync(join(configDir, "config.json"), JSON.stringify(config));
    return configDir;
  }

  // Only DOCKER_CONFIG and PATH carry credentials: no --creds, and no CIPOLICE_REGISTRY_* variables.
  const factsWith = (configDir: string) => {
    const env: Record<string, string> = {
      DOCKER_CONFIG: configDir,
      PATH: `${bin}:${process.env.PATH ?? ""}`,
    };
    return runCliAsync(["facts", ref], { env });
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "cip-e2e-cred-helper-"));
    bin = join(dir, "bin");
    mkdirSync(bin);
    registry = await startRegistry("htpasswd");
    const image = await buildImage({ labels: { purpose: "credential-helper-e2e" } });
    await pushImage(image, registry, "private/app:1", registry.credentials);
    await image.remove();
    ref = `${registry.host}/private/app:1`;
    const creds = registry.credentials ?? { username: "", password: "" };
    writeHelper(bin, "cipolice-e2e", answer(creds.username, creds.password));
    writeHelper(bin, "cipolice-none", "echo 'credentials not found in native keychain'\nexit 1");
  });
  after(async () => {
    await registry?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  test("credHelpers for the registry's host: facts succeed and the helper was asked for that host", async () => {
    const configDir = dockerConfig("helper", {
      credHelpers: { [registry.host]: "cipolice-e2e" },
      credsStore: "cipolice-none",
    });
    const run = await factsWith(configDir);
    assert.equal(run.status, 0, run.stderr);
    const facts = JSON.parse(run.stdout) as ImageFacts;
    const inspect = (await skopeoInspect(ref, registry.credentials)) as { Digest: string };
    assert.equal(facts.digest, inspect.Digest);
    assert.equal(facts.config?.labels?.purpose, "credential-helper-e2e");
    assert.equal(receivedBy(bin, "cipolice-e2e"), registry.host);
  });

  test("a helper with nothing stored leaves the request anonymous, which the registry refuses", async () => {
    const run = await factsWith(dockerConfig("none", { credsStore: "cipolice-none" }));
    assert.equal(run.status, 2);
    assert.match(run.stderr, /UNAUTHORIZED|401/);
  });

  test("a helper that is not installed: exit 2, and the message names the helper and the config file", async () => {
    const configDir = dockerConfig("absent", { credHelpers: { [registry.host]: "cipolice-absent" } });
    const run = await factsWith(configDir);
    assert.equal(run.status, 2);
    assert.match(run.stderr, /CIP_REGISTRY/);
    assert.match(run.stderr, /docker-credential-cipolice-absent is not on PATH/);
    assert.ok(run.stderr.includes(join(configDir, "config.json")), run.stderr);
    assert.match(run.stderr, /hint:.*Install docker-credential-cipolice-absent/);
  });
});
