import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { REPO_ROOT } from "../../../test/support/corpus.js";
import { bundleOfRules } from "../../../test/support/one-rule-bundle.js";
import type { ContainerSnapshot } from "../container-snapshot.js";
import { policyCheckFactory } from "./policy-check.js";

// The policy check with a scanner run per container: the scanner's JSON report decides, read as `check
// --report` reads it; a scanner that is missing or fails fails the check with its name.
const container: ContainerSnapshot = {
  id: "c".repeat(64),
  name: "web",
  image: "registry.example/web/app:1",
  imageId: `sha256:${"d".repeat(64)}`,
  repoDigests: [`registry.example/web/app@sha256:${"e".repeat(64)}`],
  user: "1000",
  command: ["sleep", "3600"],
  labels: {},
  state: "running",
  imageConfig: { user: "1000" },
};

describe("cipolice.checks.PolicyCheck with a scanner", () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "cipolice-policy-check-"));
    writeFileSync(
      join(dir, "bundle.json"),
      JSON.stringify(
        bundleOfRules("no-critical", [
          [
            "vulnerabilities",
            "package",
            { package_type: "all", severity_comparison: ">=", severity: "critical" },
          ],
        ]),
      ),
    );
    const report = {
      SchemaVersion: 2,
      ArtifactName: container.image,
      ArtifactType: "container_image",
      Results: [
        {
          Target: "app (debian 12.5)",
          Class: "os-pkgs",
          Type: "debian",
          Vulnerabilities: [
            {
              VulnerabilityID: "CVE-2026-0042",
              PkgName: "openssl",
              InstalledVersion: "3.0.11-1",
              Severity: "CRITICAL",
            },
          ],
        },
      ],
    };
    writeFileSync(join(dir, "report.json"), JSON.stringify(report));
    // A stand-in scanner: prints its report for the image it is given, as `trivy image -f json IMAGE` would
    writeFileSync(
      join(dir, "scan.sh"),
      `#!/bin/sh\n[ "$1" = "${container.image}" ] || exit 3\ncat "${join(dir, "report.json")}"\n`,
    );
    chmodSync(join(dir, "scan.sh"), 0o755);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const check = (settings: Record<string, string>) =>
    policyCheckFactory({
      now: () => new Date("2026-12-01T00:00:00Z"),
      defaultBundlePath: join(REPO_ROOT, "policies/default-bundle.yaml"),
    })(
      { bundle: "bundle.json", ...settings },
      { section: "cipolice.checks.PolicyCheck", line: 1, file: "monitor.ini", configDir: dir },
    );

  it("fails a container whose scanner report has a critical finding, naming it", async () => {
    const definition = await check({ scanner: "./scan.sh {image}" });
    const outcome = await definition.run(container, {}, { section: "x", configDir: dir, timeoutMs: 10_000 });
    assert.equal(outcome.result, "FAIL");
    assert.match(outcome.message ?? "", /CVE-2026-0042/);
  });

  it("a scanner that is missing fails the check with a message naming it", async () => {
    const definition = await check({ scanner: "/nonexistent/trivy image {image}" });
    await assert.rejects(
      definition.run(container, {}, { section: "x", configDir: dir, timeoutMs: 10_000 }),
      /Cannot scan with \/nonexistent\/trivy .*not found/,
    );
  });

  it("an image the engine has no configuration or digest for is still decided on what is known, and says so", async () => {
    const bare: ContainerSnapshot = { ...container, repoDigests: [], user: "" };
    delete bare.imageConfig;
    const definition = await check({});
    const outcome = await definition.run(bare, {}, { section: "x", configDir: dir, timeoutMs: 10_000 });
    assert.equal(outcome.result, "PASS");
    assert.match(outcome.message ?? "", /not decided \(on_no_data = pass\): the monitor has no --store/);
  });

  it("refuses a scanner_timeout that is not a number of seconds at load", async () => {
    await assert.rejects(
      async () => check({ scanner: "./scan.sh", scanner_timeout: "soon" }),
      /scanner_timeout = soon/,
    );
  });
});
