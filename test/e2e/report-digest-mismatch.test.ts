import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { DecisionV1, ImageFacts } from "../../src/model/index.js";
import { runCliAsync } from "../support/run-cli.js";
import { buildImage, imageToolsMissing, pushImage, skopeoInspect } from "./support/images.js";
import { registryToolsMissing, startRegistry, type TestRegistry } from "./support/registry-harness.js";

const missing = registryToolsMissing("anonymous") || imageToolsMissing();
/** A digest no pushed image has: the report is about some other build of the tag. */
const OTHER_DIGEST = `sha256:${"e".repeat(64)}`;

/**
 * A Trivy JSON report (schema 2) about `name`, pinned by `digest` in Metadata.RepoDigests as Trivy writes
 * it, with one vulnerability so that the findings can be seen in the facts.
 */
function trivyReport(name: string, digest: string): string {
  const repository = name.slice(0, name.lastIndexOf(":"));
  return JSON.stringify({
    SchemaVersion: 2,
    ArtifactName: name,
    ArtifactType: "container_image",
    Metadata: { RepoTags: [name], RepoDigests: [`${repository}@${digest}`] },
    Results: [
      {
        Target: `${name} (alpine 3.19.1)`,
        Class: "os-pkgs",
        Type: "alpine",
        Vulnerabilities: [
          {
            VulnerabilityID: "CVE-2024-0001",
            PkgName: "busybox",
            InstalledVersion: "1.36.1-r15",
            FixedVersion: "1.36.1-r16",
            Severity: "HIGH",
          },
        ],
      },
    ],
  });
}

describe("a scanner report about another digest than the pulled image", { skip: missing }, () => {
  let registry: TestRegistry;
  let name: string;
  let pushedDigest: string;
  const scratch = mkdtempSync(join(tmpdir(), "cip-report-digest-"));
  before(async () => {
    registry = await startRegistry("anonymous");
    const image = await buildImage({ labels: { "org.cipolice.test": "report-digest" } });
    try {
      await pushImage(image, registry, "team/app:1.0");
    } finally {
      await image.remove();
    }
    name = `${registry.host}/team/app:1.0`;
    pushedDigest = ((await skopeoInspect(name)) as { Digest: string }).Digest;
  });
  after(async () => {
    await registry?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  /** Writes a report about `name` at `digest` and returns its path. */
  function report(file: string, digest: string): string {
    const path = join(scratch, file);
    writeFileSync(path, trivyReport(name, digest));
    return path;
  }

  test("facts --pull: works, warns on stderr naming both sides, and keeps the report's findings", async () => {
    const stale = report("stale.json", OTHER_DIGEST);
    const run = await runCliAsync(["facts", name, "--report", stale, "--pull"]);
    assert.equal(run.status, 0, run.stderr);
    const facts = JSON.parse(run.stdout) as ImageFacts;
    // The digest is the pulled image's, not the report's.
    assert.equal(facts.digest, pushedDigest);
    assert.deepEqual(
      facts.vulnerabilities?.map((v) => v.id),
      ["CVE-2024-0001"],
    );
    const warnings = run.stderr.split("\n").filter((line) => line.startsWith("warning:"));
    assert.deepEqual(warnings, [
      `warning: ${stale} is a report about image digest ${OTHER_DIGEST}, not about ${name}; its findings were used anyway`,
    ]);
  });

  test("facts --pull with a report about the pushed digest: no warning", async () => {
    const fresh = report("fresh.json", pushedDigest);
    const run = await runCliAsync(["facts", name, "--report", fresh, "--pull"]);
    assert.equal(run.status, 0, run.stderr);
    assert.equal((JSON.parse(run.stdout) as ImageFacts).digest, pushedDigest);
    assert.doesNotMatch(run.stderr, /warning:|is a report about/);
  });

  test("check --pull: the decision carries the mismatch as a warning problem, and only then", async () => {
    const problems = async (digest: string, file: string) => {
      const run = await runCliAsync([
        "check",
        name,
        "--report",
        report(file, digest),
        "--pull",
        "--format",
        "json",
      ]);
      assert.notEqual(run.status, 2, run.stderr);
      const decision = JSON.parse(run.stdout) as DecisionV1;
      return decision.problems.filter((p) => p.code === "CIP_REPORT_IMAGE_MISMATCH");
    };
    const stale = await problems(OTHER_DIGEST, "check-stale.json");
    assert.equal(stale.length, 1);
    assert.equal(stale[0]?.level, "warning");
    assert.match(stale[0]?.message ?? "", new RegExp(`image digest ${OTHER_DIGEST}, not about `));
    assert.deepEqual(await problems(pushedDigest, "check-fresh.json"), []);
  });
});
