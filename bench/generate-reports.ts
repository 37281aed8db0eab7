import { seededRandom } from "../test/support/fuzz.js";

const SEVERITIES = ["LOW", "MEDIUM", "HIGH", "CRITICAL", "UNKNOWN"];

/** A Trivy SchemaVersion 2 image report with roughly `bytes` of JSON. */
export function trivyReport(bytes: number, seed = 1): string {
  const rnd = seededRandom(seed);
  const vulns: unknown[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const v = {
      VulnerabilityID: `CVE-${2015 + (i % 10)}-${10000 + i}`,
      PkgID: `pkg${i % 900}@1.${i % 13}.${i % 7}`,
      PkgName: `pkg${i % 900}`,
      PkgIdentifier: { PURL: `pkg:deb/debian/pkg${i % 900}@1.${i % 13}.${i % 7}?distro=debian-12` },
      InstalledVersion: `1.${i % 13}.${i % 7}`,
      FixedVersion: rnd() < 0.6 ? `1.${i % 13}.${(i % 7) + 1}` : "",
      Status: rnd() < 0.6 ? "fixed" : "affected",
      Layer: { DiffID: `sha256:${(i % 5).toString().repeat(64)}` },
      SeveritySource: "debian",
      PrimaryURL: `https://avd.aquasec.com/nvd/cve-${2015 + (i % 10)}-${10000 + i}`,
      DataSource: {
        ID: "debian",
        Name: "Debian Security Tracker",
        URL: "https://salsa.debian.org/security-tracker-team/security-tracker",
      },
      Title: "A generated vulnerability for benchmarking the ingestion path",
      Description:
        "Generated description text of a realistic length for a vulnerability entry in a Trivy report.",
      Severity: SEVERITIES[Math.floor(rnd() * SEVERITIES.length)],
      CweIDs: ["CWE-79"],
      VendorSeverity: { debian: 1, nvd: 2 },
      CVSS: {
        nvd: {
          V3Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N",
          V3Score: Math.round(rnd() * 100) / 10,
        },
        redhat: { V3Vector: "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:L/I:N/A:N", V3Score: 3.7 },
      },
      References: [`https://security-tracker.debian.org/tracker/CVE-${2015 + (i % 10)}-${10000 + i}`],
      PublishedDate: "2021-03-01T15:15:00Z",
      LastModifiedDate: "2023-01-01T00:00:00Z",
    };
    size += JSON.stringify(v).length + 1;
    vulns.push(v);
  }
  return JSON.stringify({
    SchemaVersion: 2,
    CreatedAt: "2026-11-20T08:00:00Z",
    ArtifactName: "registry.example.com/team/app:2.3.1",
    ArtifactType: "container_image",
    Metadata: {
      OS: { Family: "debian", Name: "12.5" },
      ImageID: `sha256:${"a".repeat(64)}`,
      RepoTags: ["registry.example.com/team/app:2.3.1"],
    },
    Results: [
      {
        Target: "registry.example.com/team/app:2.3.1 (debian 12.5)",
        Class: "os-pkgs",
        Type: "debian",
        Vulnerabilities: vulns,
      },
    ],
  });
}

/** A Grype JSON report with roughly `bytes` of JSON. */
export function grypeReport(bytes: number, seed = 2): string {
  const rnd = seededRandom(seed);
  const matches: unknown[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const id = `CVE-${2015 + (i % 10)}-${10000 + i}`;
    const fixed = rnd() < 0.6;
    const m = {
      vulnerability: {
        id,
        dataSource: `https://security-tracker.debian.org/tracker/${id}`,
        namespace: "debian:distro:debian:12",
        severity: ["Negligible", "Low", "Medium", "High", "Critical", "Unknown"][Math.floor(rnd() * 6)],
        urls: [`https://security-tracker.debian.org/tracker/${id}`],
        cvss: [],
        fix: fixed
          ? { versions: [`1.${i % 13}.${(i % 7) + 1}`], state: "fixed" }
          : { versions: [], state: "not-fixed" },
        advisories: [],
      },
      relatedVulnerabilities: [
        {
          id,
          dataSource: `https://nvd.nist.gov/vuln/detail/${id}`,
          namespace: "nvd:cpe",
          severity: "High",
          urls: [],
          description:
            "Generated description text of a realistic length for a vulnerability in a Grype report.",
          cvss: [
            {
              version: "3.1",
              vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
              metrics: { baseScore: 9.8, exploitabilityScore: 3.9, impactScore: 5.9 },
              vendorMetadata: {},
            },
          ],
        },
      ],
      matchDetails: [
        {
          type: "exact-indirect-match",
          matcher: "dpkg-matcher",
          searchedBy: { distro: { type: "debian", version: "12" } },
          found: { versionConstraint: "< 1.0 (deb)" },
        },
      ],
      artifact: {
        id: `art${i % 900}`,
        name: `pkg${i % 900}`,
        version: `1.${i % 13}.${i % 7}`,
        type: "deb",
        locations: [{ path: "/var/lib/dpkg/status", layerID: `sha256:${(i % 5).toString().repeat(64)}` }],
        language: "",
        licenses: ["GPL-2.0"],
        cpes: [`cpe:2.3:a:pkg${i % 900}:pkg${i % 900}:1.${i % 13}:*:*:*:*:*:*:*`],
        purl: `pkg:deb/debian/pkg${i % 900}@1.${i % 13}.${i % 7}?distro=debian-12`,
        upstreams: [],
      },
    };
    size += JSON.stringify(m).length + 1;
    matches.push(m);
  }
  return JSON.stringify({
    matches,
    source: {
      type: "image",
      target: {
        userInput: "registry.example.com/team/app:2.3.1",
        imageID: `sha256:${"a".repeat(64)}`,
        manifestDigest: `sha256:${"b".repeat(64)}`,
        tags: ["registry.example.com/team/app:2.3.1"],
      },
    },
    distro: { name: "debian", version: "12", idLike: [] },
    descriptor: {
      name: "grype",
      version: "0.82.0",
      timestamp: "2026-11-20T08:00:00Z",
      db: { built: "2026-11-19T06:00:00Z" },
    },
  });
}
