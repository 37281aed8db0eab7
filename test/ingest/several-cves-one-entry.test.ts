import assert from "node:assert/strict";
import { test } from "node:test";
import type { Vulnerability } from "../../src/model/index.js";
import { gatherFacts } from "../../src/service/gather-facts.js";

// Scanners that name one entry by their own or an advisory id and list several CVEs under it (a Snyk issue
// with two CVEs, an Anchore RHSA row with two NVD records, a CycloneDX vulnerability referencing two) must not turn those CVEs into aliases: merged
// with a report listing each CVE, both CVEs would fold into one finding, and one (id, package) pair be lost.

const IMAGE = "registry.example/app:1";
const CVES = ["CVE-2024-1001", "CVE-2024-1002"];

function trivy(pkg: string, version: string): string {
  return JSON.stringify({
    SchemaVersion: 2,
    ArtifactName: IMAGE,
    ArtifactType: "container_image",
    Metadata: { OS: { Family: "debian", Name: "12.5" } },
    Results: [
      {
        Target: `${IMAGE} (debian 12.5)`,
        Class: "os-pkgs",
        Type: "debian",
        Vulnerabilities: CVES.map((cve) => ({
          VulnerabilityID: cve,
          PkgName: pkg,
          InstalledVersion: version,
          Severity: cve === CVES[0] ? "CRITICAL" : "LOW",
        })),
      },
    ],
  });
}

function snyk(): string {
  return JSON.stringify({
    ok: false,
    packageManager: "deb",
    projectName: "app",
    path: IMAGE,
    dependencyCount: 1,
    vulnerabilities: [
      {
        id: "SNYK-DEBIAN12-LIB-1000",
        packageName: "lib",
        packageManager: "debian:12",
        version: "1.0.0",
        severity: "high",
        identifiers: { CVE: CVES, CWE: ["CWE-79"] },
        from: ["docker-image|app@1", "lib@1.0.0"],
      },
    ],
  });
}

function anchore(): string {
  const nvd = (id: string) => ({
    id,
    cvss_v3: { base_score: 7.5, exploitability_score: -1, impact_score: -1 },
  });
  return JSON.stringify({
    imageDigest: "sha256:0000000000000000000000000000000000000000000000000000000000000000",
    vulnerability_type: "all",
    vulnerabilities: [
      {
        vuln: "RHSA-2024:1234",
        package: "lib-1.0.0",
        package_name: "lib",
        package_version: "1.0.0",
        package_type: "dpkg",
        package_path: "None",
        feed: "vulnerabilities",
        feed_group: "debian:12",
        severity: "High",
        fix: "None",
        url: "https://access.redhat.com/errata/RHSA-2024:1234",
        nvd_data: CVES.map(nvd),
        vendor_data: [],
      },
    ],
  });
}

function cyclonedx(): string {
  const purl = "pkg:deb/debian/lib@1.0.0?distro=debian-12.5";
  return JSON.stringify({
    bomFormat: "CycloneDX",
    specVersion: "1.5",
    version: 1,
    metadata: { component: { type: "container", name: IMAGE, "bom-ref": "image" } },
    components: [{ type: "library", name: "lib", version: "1.0.0", purl, "bom-ref": purl }],
    vulnerabilities: [
      {
        id: "SNYK-DEBIAN12-LIB-1000",
        source: { name: "Snyk" },
        references: CVES.map((id) => ({ id, source: { name: "NVD" } })),
        ratings: [{ severity: "high" }],
        affects: [{ ref: purl }],
      },
    ],
  });
}

function vulnerabilities(...reports: string[]): Vulnerability[] {
  const { facts } = gatherFacts({
    image: IMAGE,
    reports: reports.map((text, i) => ({ text, source: `report-${i}.json` })),
    vex: [],
  });
  return facts.vulnerabilities ?? [];
}

/** Each CVE stays a finding of its own on lib, found by Trivy, with Trivy's severity. */
function assertEveryCveKept(vulns: Vulnerability[], entry: string): void {
  for (const cve of CVES) {
    const own = vulns.filter((v) => v.package.name === "lib" && v.id === cve);
    assert.equal(own.length, 1, `${cve}: ${JSON.stringify(vulns.map((v) => [v.id, v.aliases]))}`);
    assert.deepEqual(own[0]?.sources, ["trivy"], cve);
    assert.ok(!(own[0]?.aliases ?? []).some((a) => CVES.includes(a)), `${cve} has no other CVE as an alias`);
  }
  assert.equal(vulns.find((v) => v.id === CVES[1])?.severity, "low");
  const advisory = vulns.find((v) => v.id === entry);
  assert.deepEqual(advisory?.advisories?.slice().sort(), CVES, `${entry} names both CVEs`);
  assert.equal(advisory?.aliases?.some((a) => CVES.includes(a)) ?? false, false, `${entry} aliases no CVE`);
}

test("a Snyk issue naming two CVEs keeps them apart from each other, in either report order", () => {
  assertEveryCveKept(vulnerabilities(snyk(), trivy("lib", "1.0.0")), "SNYK-DEBIAN12-LIB-1000");
  assertEveryCveKept(vulnerabilities(trivy("lib", "1.0.0"), snyk()), "SNYK-DEBIAN12-LIB-1000");
});

test("an Anchore row whose advisory has two NVD records keeps both CVEs apart, in either report order", () => {
  assertEveryCveKept(vulnerabilities(anchore(), trivy("lib", "1.0.0")), "RHSA-2024:1234");
  assertEveryCveKept(vulnerabilities(trivy("lib", "1.0.0"), anchore()), "RHSA-2024:1234");
});

test("a CycloneDX vulnerability referencing two CVEs keeps both apart, in either report order", () => {
  assertEveryCveKept(vulnerabilities(cyclonedx(), trivy("lib", "1.0.0")), "SNYK-DEBIAN12-LIB-1000");
  assertEveryCveKept(vulnerabilities(trivy("lib", "1.0.0"), cyclonedx()), "SNYK-DEBIAN12-LIB-1000");
});
