import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import type { ImageFacts } from "../../src/model/index.js";
import { oneRuleBundle } from "../support/one-rule-bundle.js";
import { runCli } from "../support/run-cli.js";

const work = mkdtempSync(join(tmpdir(), "cip-advisories-"));
after(() => rmSync(work, { recursive: true, force: true }));

// One Debian advisory covering eight CVEs, as Trivy reports a Debian 13 image: each CVE on each package
const CVES = Array.from({ length: 8 }, (_, i) => `CVE-2025-${9230 + i}`);
const PACKAGES = ["openssl", "libssl3t64", "openssl-provider-legacy"];

function trivyReport(): unknown {
  return {
    SchemaVersion: 2,
    ArtifactName: "registry.example/app:1",
    ArtifactType: "container_image",
    Metadata: { OS: { Family: "debian", Name: "13.1" } },
    Results: [
      {
        Target: "registry.example/app:1 (debian 13.1)",
        Class: "os-pkgs",
        Type: "debian",
        Vulnerabilities: PACKAGES.flatMap((pkg) =>
          CVES.map((cve) => ({
            VulnerabilityID: cve,
            VendorIDs: ["DSA-6113-1"],
            PkgName: pkg,
            InstalledVersion: "3.5.1-1",
            FixedVersion: "3.5.4-1~deb13u1",
            Status: "fixed",
            Severity: "HIGH",
          })),
        ),
      },
    ],
  };
}

function grypeReport(): unknown {
  const match = (id: string, related: string[], pkg: string, version: string, type: string) => ({
    vulnerability: {
      id,
      namespace: "github:language:python",
      severity: "High",
      fix: { versions: [], state: "unknown" },
    },
    relatedVulnerabilities: related.map((r) => ({ id: r, namespace: "nvd:cpe" })),
    artifact: { name: pkg, version, type, locations: [] },
  });
  return {
    matches: [
      // A GHSA naming one CVE: the same vulnerability under two names
      match("GHSA-aaaa-bbbb-cccc", ["CVE-2025-9230"], "openssl", "3.5.1-1", "deb"),
      // A GHSA naming two CVEs covers both: neither is its alias
      match("GHSA-dddd-eeee-ffff", ["CVE-2025-9231", "CVE-2025-9232"], "openssl", "3.5.1-1", "deb"),
    ],
    source: { type: "image", target: { userInput: "registry.example/app:1" } },
    descriptor: { name: "grype", version: "0.90.0" },
  };
}

function facts(args: string[]): ImageFacts {
  const run = runCli(["facts", "registry.example/app:1", ...args]);
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout) as ImageFacts;
}

test("a vendor advisory covering eight CVEs keeps all 24 findings, the advisory beside each", () => {
  const file = join(work, "trivy.json");
  writeFileSync(file, JSON.stringify(trivyReport()));
  const vulns = facts(["--report", file]).vulnerabilities ?? [];
  assert.equal(vulns.length, CVES.length * PACKAGES.length);
  const pairs = new Set(vulns.map((v) => `${v.id} ${v.package.name}`));
  for (const pkg of PACKAGES)
    for (const cve of CVES) assert.ok(pairs.has(`${cve} ${pkg}`), `${cve} on ${pkg}`);
  for (const v of vulns) {
    assert.deepEqual(v.advisories, ["DSA-6113-1"]);
    assert.equal(v.aliases, undefined);
  }
});

test("a GHSA merges with its one CVE; a GHSA naming several CVEs stays its own finding", () => {
  const trivy = join(work, "trivy-2.json");
  const grype = join(work, "grype.json");
  writeFileSync(trivy, JSON.stringify(trivyReport()));
  writeFileSync(grype, JSON.stringify(grypeReport()));
  const vulns = facts(["--report", trivy, "--report", grype]).vulnerabilities ?? [];
  const onOpenssl = vulns.filter((v) => v.package.name === "openssl");
  // 8 CVEs from Trivy; GHSA-aaaa merges into CVE-2025-9230; GHSA-dddd is a ninth finding
  assert.equal(onOpenssl.length, CVES.length + 1);
  const merged = onOpenssl.find((v) => v.id === "CVE-2025-9230");
  assert.deepEqual(merged?.sources, ["trivy", "grype"]);
  assert.deepEqual(merged?.aliases, ["GHSA-aaaa-bbbb-cccc"]);
  const several = onOpenssl.find((v) => v.id === "GHSA-dddd-eeee-ffff");
  assert.deepEqual(several?.advisories, ["CVE-2025-9231", "CVE-2025-9232"]);
  assert.deepEqual(onOpenssl.find((v) => v.id === "CVE-2025-9231")?.sources, ["trivy"]);
});

test("advisories can be matched in CEL", () => {
  const file = join(work, "trivy-3.json");
  const policy = join(work, "advisory-policy.json");
  writeFileSync(file, JSON.stringify(trivyReport()));
  writeFileSync(
    policy,
    JSON.stringify(
      oneRuleBundle("expression", "condition", {
        expression: "vulnerabilities.exists(v, 'DSA-6113-1' in v.advisories)",
      }),
    ),
  );
  const run = runCli([
    "check",
    "registry.example/app:1",
    "--report",
    file,
    "--policy",
    policy,
    "--format",
    "json",
  ]);
  assert.equal(run.status, 1, run.stderr);
  const decision = JSON.parse(run.stdout) as { finalAction: string };
  assert.equal(decision.finalAction, "stop");
});

// Amazon Linux 2: one ALAS covering three CVEs of openssl-libs, one RHSA-style advisory naming a single CVE
const ALAS_CVES = ["CVE-2023-0286", "CVE-2023-0215", "CVE-2022-4450"];

function grypeAdvisoryReport(): unknown {
  const match = (id: string, related: string[]) => ({
    vulnerability: {
      id,
      namespace: "amazon:distro:amazonlinux:2",
      severity: "High",
      fix: { versions: ["1:1.0.2k-24.amzn2.0.6"], state: "fixed" },
    },
    relatedVulnerabilities: related.map((r) => ({ id: r, namespace: "nvd:cpe", severity: "High" })),
    matchDetails: [{ type: "exact-direct-match", matcher: "rpm-matcher" }],
    artifact: { name: "openssl-libs", version: "1:1.0.2k-24.amzn2.0.4", type: "rpm", locations: [] },
  });
  return {
    matches: [match("ALAS2-2023-1946", ALAS_CVES), match("ALAS2-2023-2000", ["CVE-2023-2650"])],
    source: { type: "image", target: { userInput: "registry.example/app:1" } },
    distro: { name: "amzn", version: "2" },
    descriptor: { name: "grype", version: "0.90.0" },
  };
}

function trivyAdvisoryReport(): unknown {
  return {
    SchemaVersion: 2,
    ArtifactName: "registry.example/app:1",
    ArtifactType: "container_image",
    Metadata: { OS: { Family: "amazon", Name: "2" } },
    Results: [
      {
        Target: "registry.example/app:1 (amazon 2)",
        Class: "os-pkgs",
        Type: "amazon",
        Vulnerabilities: [...ALAS_CVES, "CVE-2023-2650"].map((cve) => ({
          VulnerabilityID: cve,
          // Trivy names every advisory a CVE is fixed by; the last CVE is in two
          VendorIDs: cve === "CVE-2023-2650" ? ["ALAS2-2023-2000", "ALAS2-2023-2100"] : ["ALAS2-2023-1946"],
          PkgName: "openssl-libs",
          InstalledVersion: "1:1.0.2k-24.amzn2.0.4",
          FixedVersion: "1:1.0.2k-24.amzn2.0.6",
          Status: "fixed",
          Severity: "HIGH",
        })),
      },
    ],
  };
}

test("an ALAS match listing three CVEs keeps every CVE, alone and beside Trivy's per-CVE findings", () => {
  const grype = join(work, "grype-alas.json");
  const trivy = join(work, "trivy-alas.json");
  writeFileSync(grype, JSON.stringify(grypeAdvisoryReport()));
  writeFileSync(trivy, JSON.stringify(trivyAdvisoryReport()));
  const alone = facts(["--report", grype]).vulnerabilities ?? [];
  assert.deepEqual(
    alone.map((v) => [v.id, v.aliases, v.advisories]),
    [
      ["ALAS2-2023-1946", undefined, ALAS_CVES],
      // An advisory naming a single CVE is still an advisory: it never merges with that CVE's finding
      ["ALAS2-2023-2000", undefined, ["CVE-2023-2650"]],
    ],
  );
  const both = facts(["--report", trivy, "--report", grype]).vulnerabilities ?? [];
  // 4 CVE findings from Trivy, 2 advisory findings from Grype: none merged into another
  assert.equal(both.length, 6);
  for (const cve of [...ALAS_CVES, "CVE-2023-2650"]) {
    const finding = both.find((v) => v.id === cve);
    assert.deepEqual(finding?.sources, ["trivy"], cve);
    assert.equal(finding?.aliases, undefined, cve);
  }
  assert.deepEqual(both.find((v) => v.id === "CVE-2023-2650")?.advisories, [
    "ALAS2-2023-2000",
    "ALAS2-2023-2100",
  ]);
  const alas = both.find((v) => v.id === "ALAS2-2023-1946");
  assert.deepEqual(alas?.sources, ["grype"]);
  assert.deepEqual(alas?.advisories, ALAS_CVES);
});
