import assert from "node:assert/strict";
import { test } from "node:test";
import type { Vulnerability } from "../model/index.js";
import { mergeReports } from "./merge-reports.js";
import type { ParsedReport } from "./parsed-report.js";

const REF = { registry: "docker.io", repository: "library/app", tag: "1" };

function vuln(id: string, overrides: Partial<Vulnerability> = {}): Vulnerability {
  return {
    id,
    package: { name: "openssl", version: "3.0.1", type: "dpkg" },
    severity: "medium",
    fix: { state: "unknown", versions: [] },
    ...overrides,
  };
}

function report(
  scanner: string,
  vulnerabilities: Vulnerability[] | undefined,
  extra: Partial<ParsedReport> = {},
): ParsedReport {
  return {
    format: scanner,
    scanner: { name: scanner, version: "1.0" },
    packages: [],
    vulnerabilities,
    notes: [],
    ...extra,
  };
}

test("the same vulnerability on the same package from two scanners appears once, citing both", () => {
  const facts = mergeReports(
    [
      report("trivy", [
        vuln("CVE-2024-1", { severity: "medium", cvss: [{ version: "3.1", source: "nvd", baseScore: 7.5 }] }),
      ]),
      report("grype", [
        vuln("CVE-2024-1", {
          severity: "high",
          fix: { state: "fixed", versions: ["3.0.2"] },
          cvss: [{ version: "3.1", source: "vendor", sourceName: "debian", baseScore: 5.0 }],
        }),
      ]),
    ],
    {},
    REF,
  );
  assert.equal(facts.vulnerabilities?.length, 1);
  const v = facts.vulnerabilities?.[0];
  assert.deepEqual(v?.sources, ["trivy", "grype"]);
  assert.equal(v?.severity, "high", "the highest severity any scanner gave");
  assert.deepEqual(v?.fix, { state: "fixed", versions: ["3.0.2"] });
  assert.equal(v?.cvss?.length, 2);
});

test("a GHSA finding matches the CVE finding it aliases; other packages and locations stay separate", () => {
  const facts = mergeReports(
    [
      report("trivy", [
        vuln("CVE-2022-25883", {
          package: { name: "semver", version: "7.5.1", type: "npm", path: "/app/node_modules/semver" },
        }),
        vuln("CVE-2022-25883", {
          package: { name: "semver", version: "7.5.1", type: "npm", path: "/app/other/node_modules/semver" },
        }),
      ]),
      report("grype", [
        vuln("GHSA-c2qf-rxjj-qqgw", {
          aliases: ["CVE-2022-25883"],
          package: { name: "semver", version: "7.5.1", type: "npm", path: "/app/node_modules/semver" },
        }),
      ]),
    ],
    {},
    REF,
  );
  assert.equal(facts.vulnerabilities?.length, 2);
  const first = facts.vulnerabilities?.[0];
  assert.equal(first?.id, "CVE-2022-25883");
  assert.deepEqual(first?.aliases, ["GHSA-c2qf-rxjj-qqgw"]);
  assert.deepEqual(first?.sources, ["trivy", "grype"]);
});

test("an SBOM alone means no vulnerability data; a scan with nothing found means none found", () => {
  const sbomOnly = mergeReports(
    [report("syft", undefined, { packages: [{ name: "musl", version: "1.2", type: "apk" }] })],
    {},
    REF,
  );
  assert.equal(sbomOnly.vulnerabilities, undefined);
  assert.equal(sbomOnly.packages?.length, 1);
  const clean = mergeReports([report("syft", undefined), report("trivy", [])], {}, REF);
  assert.deepEqual(clean.vulnerabilities, []);
});

test("provenance records every scanner with its version and database time", () => {
  const facts = mergeReports(
    [
      report("grype", [], {
        dbUpdatedAt: "2026-11-19T06:00:00.000Z",
        producedAt: "2026-11-20T08:00:00.000Z",
      }),
    ],
    {},
    REF,
  );
  assert.deepEqual(facts.provenance, [
    {
      source: "grype",
      version: "1.0",
      producedAt: "2026-11-20T08:00:00.000Z",
      dbUpdatedAt: "2026-11-19T06:00:00.000Z",
    },
  ]);
});

test("packages known only from vulnerability findings are not taken as the image's inventory", () => {
  const partial = report("klar", [vuln("CVE-1")], {
    packages: [{ name: "openssl", version: "3.0.1", type: "dpkg" }],
    inventory: "partial",
  });
  assert.equal(mergeReports([partial], {}, REF).packages, undefined);
  const sbom = report("syft", undefined, { packages: [{ name: "musl", version: "1.2", type: "apk" }] });
  assert.deepEqual(
    mergeReports([partial, sbom], {}, REF).packages?.map((p) => p.name),
    ["musl"],
  );
});
