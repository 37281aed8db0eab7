import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { factsFor, fireTrigger, paramProblems, TEST_NOW } from "../../../test/support/gates.js";
import type { ImageFacts, Provenance, Vulnerability } from "../../model/index.js";
import { vulnerabilitiesGate as gate } from "./vulnerabilities.js";

const DAY_MS = 86_400_000;
const daysAgo = (days: number): string => new Date(TEST_NOW.getTime() - days * DAY_MS).toISOString();

// Findings equivalent to anchore-engine's test_vulnerabilities fixtures (debian 10, grype scan of 2021-06-04).
const WILL_FIX: Vulnerability = {
  id: "CVE-2020-13529",
  package: { name: "libsystemd0", version: "241-7~deb10u7", type: "dpkg" },
  severity: "low",
  cvss: [
    { version: "2.0", source: "nvd", baseScore: 2.9, exploitabilityScore: 5.5, impactScore: 2.9 },
    { version: "3.1", source: "nvd", baseScore: 6.1, exploitabilityScore: 1.6, impactScore: 4.0 },
  ],
  fix: { state: "not-fixed", versions: [] },
  detectedAt: "2021-06-04T16:27:37Z",
  url: "https://security-tracker.debian.org/tracker/CVE-2020-13529",
};

const WILL_FIX_VENDOR_CVSS: Vulnerability = {
  ...WILL_FIX,
  cvss: [
    ...(WILL_FIX.cvss ?? []),
    { version: "3.1", source: "vendor", baseScore: 6.1, exploitabilityScore: 1.6, impactScore: 4.0 },
  ],
};

const FIX_AVAILABLE: Vulnerability = {
  id: "CVE-2018-25013",
  package: { name: "libwebp6", version: "0.6.1-2", type: "dpkg" },
  severity: "medium",
  cvss: [
    { version: "2.0", source: "nvd", baseScore: 6.4, exploitabilityScore: 10.0, impactScore: 4.9 },
    { version: "3.1", source: "nvd", baseScore: 9.1, exploitabilityScore: 3.9, impactScore: 5.2 },
  ],
  fix: { state: "fixed", versions: ["0.6.1-3"] },
  detectedAt: "2021-06-04T16:27:37Z",
  fixAvailableAt: "2021-06-04T16:27:37Z",
  url: "https://security-tracker.debian.org/tracker/CVE-2018-25013",
};

const WONT_FIX: Vulnerability = {
  id: "CVE-2020-15719",
  package: { name: "libldap-2.4-2", version: "2.4.47+dfsg-3+deb10u6", type: "dpkg" },
  severity: "low",
  fix: { state: "wont-fix", versions: [] },
  detectedAt: "2021-06-04T16:27:37Z",
  url: "https://security-tracker.debian.org/tracker/CVE-2020-15719",
};

const NON_OS: Vulnerability = {
  id: "CVE-2020-15719",
  package: { name: "libldap-2.4-2", version: "2.4.47+dfsg-3+deb10u6", type: "binary", path: "/bin/libldap" },
  severity: "negligible",
  cvss: [
    { version: "2.0", source: "nvd", baseScore: 4.0, exploitabilityScore: 4.9, impactScore: 4.9 },
    { version: "3.1", source: "nvd", baseScore: 4.2, exploitabilityScore: 1.6, impactScore: 2.5 },
  ],
  fix: { state: "not-fixed", versions: [] },
  detectedAt: "2021-06-04T16:27:37Z",
  url: "https://security-tracker.debian.org/tracker/CVE-2020-15719",
};

const DEBIAN = { name: "debian", version: "10" };

function withVulns(...vulnerabilities: Vulnerability[]): ImageFacts {
  return factsFor({ distro: DEBIAN, vulnerabilities });
}

function count(trigger: string, params: Record<string, string>, facts: ImageFacts): number {
  return fireTrigger(gate, trigger, params, facts).length;
}

describe("vulnerabilities/package: anchore-engine's unit-test expectations", () => {
  const tables: { name: string; rows: [Vulnerability, Record<string, string>, number][] }[] = [
    {
      name: "fix_available",
      rows: [
        [FIX_AVAILABLE, { fix_available: "true" }, 1],
        [FIX_AVAILABLE, { fix_available: "false" }, 0],
        [WILL_FIX, { fix_available: "true" }, 0],
        [WILL_FIX, { fix_available: "false" }, 1],
      ],
    },
    {
      name: "vendor_only",
      rows: [
        [WILL_FIX, { vendor_only: "true" }, 1],
        [WILL_FIX, { vendor_only: "false" }, 1],
        [WONT_FIX, { vendor_only: "true" }, 0],
        [WONT_FIX, { vendor_only: "false" }, 1],
        [WONT_FIX, {}, 0],
      ],
    },
    {
      name: "max_days_since_creation",
      rows: [
        [WILL_FIX, { max_days_since_creation: "1000000" }, 0],
        [WILL_FIX, { max_days_since_creation: "0" }, 1],
      ],
    },
    {
      name: "max_days_since_fix (with fix_available=true)",
      rows: [
        [FIX_AVAILABLE, { fix_available: "true", max_days_since_fix: "1000000" }, 0],
        [FIX_AVAILABLE, { fix_available: "true", max_days_since_fix: "0" }, 1],
        [WILL_FIX, { fix_available: "true", max_days_since_fix: "1000000" }, 0],
        [WILL_FIX, { fix_available: "true", max_days_since_fix: "0" }, 0],
        // Without fix_available=true the parameter is not evaluated.
        [FIX_AVAILABLE, { max_days_since_fix: "1000000" }, 1],
        [FIX_AVAILABLE, { fix_available: "false", max_days_since_fix: "1000000" }, 0],
      ],
    },
    {
      name: "package_path_exclude (package_type non-os, vendor_only false)",
      rows: [
        [NON_OS, { package_type: "non-os", vendor_only: "false", package_path_exclude: "/usr/.*" }, 1],
        [NON_OS, { package_type: "non-os", vendor_only: "false", package_path_exclude: "/bin/.*" }, 0],
        // re.match semantics: anchored at the start, not required to reach the end.
        [NON_OS, { package_type: "non-os", package_path_exclude: "/bin" }, 0],
        [NON_OS, { package_type: "non-os", package_path_exclude: "libldap" }, 1],
        [NON_OS, { package_type: "non-os", package_path_exclude: "(?i)/BIN/" }, 0],
        // Only non-OS package paths are checked.
        [
          { ...WILL_FIX, package: { ...WILL_FIX.package, path: "/var/lib/dpkg/status" } },
          { package_path_exclude: "/var" },
          1,
        ],
      ],
    },
    {
      name: "package_type",
      rows: [
        [WILL_FIX, { package_type: "all" }, 1],
        [WILL_FIX, { package_type: "os" }, 1],
        [NON_OS, { package_type: "os" }, 0],
        [WILL_FIX, { package_type: "non-os" }, 0],
        [NON_OS, { package_type: "non-os" }, 1],
      ],
    },
    {
      name: "severity_comparison / severity (finding is low)",
      rows: [
        [WILL_FIX, { severity_comparison: "=", severity: "unknown" }, 0],
        [WILL_FIX, { severity_comparison: "=", severity: "negligible" }, 0],
        [WILL_FIX, { severity_comparison: "=", severity: "low" }, 1],
        [WILL_FIX, { severity_comparison: "=", severity: "medium" }, 0],
        [WILL_FIX, { severity_comparison: "=", severity: "high" }, 0],
        [WILL_FIX, { severity_comparison: "=", severity: "critical" }, 0],
        [WILL_FIX, { severity_comparison: "<", severity: "medium" }, 1],
        [WILL_FIX, { severity_comparison: ">", severity: "medium" }, 0],
        [WILL_FIX, { severity_comparison: "!=", severity: "medium" }, 1],
        [WILL_FIX, { severity_comparison: "<=", severity: "medium" }, 1],
        [WILL_FIX, { severity_comparison: ">=", severity: "medium" }, 0],
        [WILL_FIX, { severity_comparison: "<", severity: "unknown" }, 0],
        [WILL_FIX, { severity_comparison: ">", severity: "critical" }, 0],
        // Defaults: severity_comparison ">" and severity "unknown".
        [WILL_FIX, { severity: "negligible" }, 1],
        [WILL_FIX, { severity: "low" }, 0],
        [{ ...WILL_FIX, severity: "unknown" }, {}, 0],
        [{ ...WILL_FIX, severity: "unknown" }, { severity_comparison: ">=" }, 1],
        [{ ...WILL_FIX, severity: "critical" }, { severity_comparison: "=", severity: "critical" }, 1],
      ],
    },
    {
      name: "cvss_v3_base_score (NVD max 6.1)",
      rows: [
        [WILL_FIX, { cvss_v3_base_score_comparison: ">", cvss_v3_base_score: "6.0" }, 1],
        [WILL_FIX, { cvss_v3_base_score_comparison: "<", cvss_v3_base_score: "6.0" }, 0],
        [WILL_FIX, { cvss_v3_base_score_comparison: "=", cvss_v3_base_score: "6.0" }, 0],
        [WILL_FIX, { cvss_v3_base_score_comparison: ">=", cvss_v3_base_score: "6.0" }, 1],
        [WILL_FIX, { cvss_v3_base_score_comparison: "<=", cvss_v3_base_score: "6.0" }, 0],
        [WILL_FIX, { cvss_v3_base_score_comparison: "=", cvss_v3_base_score: "6.1" }, 1],
        [WILL_FIX, { cvss_v3_base_score_comparison: "!=", cvss_v3_base_score: "6.1" }, 0],
        // Default comparison is >=.
        [WILL_FIX, { cvss_v3_base_score: "6.1" }, 1],
        [WILL_FIX, { cvss_v3_base_score: "6.2" }, 0],
      ],
    },
    {
      name: "cvss_v3_exploitability_score (NVD max 1.6)",
      rows: [
        [WILL_FIX, { cvss_v3_exploitability_score_comparison: ">", cvss_v3_exploitability_score: "3.8" }, 0],
        [WILL_FIX, { cvss_v3_exploitability_score_comparison: "<", cvss_v3_exploitability_score: "3.8" }, 1],
        [WILL_FIX, { cvss_v3_exploitability_score_comparison: "=", cvss_v3_exploitability_score: "3.8" }, 0],
        [WILL_FIX, { cvss_v3_exploitability_score_comparison: ">=", cvss_v3_exploitability_score: "3.8" }, 0],
        [WILL_FIX, { cvss_v3_exploitability_score_comparison: "<=", cvss_v3_exploitability_score: "3.8" }, 1],
        // The v2 exploitability 5.5 does not count.
        [WILL_FIX, { cvss_v3_exploitability_score: "5.0" }, 0],
      ],
    },
    {
      name: "cvss_v3_impact_score (NVD max 4.0)",
      rows: [
        [WILL_FIX, { cvss_v3_impact_score_comparison: ">", cvss_v3_impact_score: "3.6" }, 1],
        [WILL_FIX, { cvss_v3_impact_score_comparison: "<", cvss_v3_impact_score: "3.6" }, 0],
        [WILL_FIX, { cvss_v3_impact_score_comparison: "=", cvss_v3_impact_score: "3.6" }, 0],
        [WILL_FIX, { cvss_v3_impact_score_comparison: ">=", cvss_v3_impact_score: "3.6" }, 1],
        [WILL_FIX, { cvss_v3_impact_score_comparison: "<=", cvss_v3_impact_score: "3.6" }, 0],
      ],
    },
    {
      name: "vendor_cvss_v3_base_score (vendor max 6.1)",
      rows: [
        [
          WILL_FIX_VENDOR_CVSS,
          { vendor_cvss_v3_base_score_comparison: ">", vendor_cvss_v3_base_score: "6.0" },
          1,
        ],
        [
          WILL_FIX_VENDOR_CVSS,
          { vendor_cvss_v3_base_score_comparison: "<", vendor_cvss_v3_base_score: "6.0" },
          0,
        ],
        [
          WILL_FIX_VENDOR_CVSS,
          { vendor_cvss_v3_base_score_comparison: "=", vendor_cvss_v3_base_score: "6.0" },
          0,
        ],
        [
          WILL_FIX_VENDOR_CVSS,
          { vendor_cvss_v3_base_score_comparison: ">=", vendor_cvss_v3_base_score: "6.0" },
          1,
        ],
        [
          WILL_FIX_VENDOR_CVSS,
          { vendor_cvss_v3_base_score_comparison: "<=", vendor_cvss_v3_base_score: "6.0" },
          0,
        ],
        // NVD scores are not vendor scores: without vendor entries the score is -1.
        [WILL_FIX, { vendor_cvss_v3_base_score: "6.0" }, 0],
        [WILL_FIX, { vendor_cvss_v3_base_score_comparison: "<", vendor_cvss_v3_base_score: "0" }, 1],
      ],
    },
    {
      name: "vendor_cvss_v3_exploitability_score (vendor max 1.6)",
      rows: [
        [
          WILL_FIX_VENDOR_CVSS,
          { vendor_cvss_v3_exploitability_score_comparison: ">", vendor_cvss_v3_exploitability_score: "3.8" },
          0,
        ],
        [
          WILL_FIX_VENDOR_CVSS,
          { vendor_cvss_v3_exploitability_score_comparison: "<", vendor_cvss_v3_exploitability_score: "3.8" },
          1,
        ],
        [
          WILL_FIX_VENDOR_CVSS,
          { vendor_cvss_v3_exploitability_score_comparison: "=", vendor_cvss_v3_exploitability_score: "3.8" },
          0,
        ],
        [
          WILL_FIX_VENDOR_CVSS,
          {
            vendor_cvss_v3_exploitability_score_comparison: ">=",
            vendor_cvss_v3_exploitability_score: "3.8",
          },
          0,
        ],
        [
          WILL_FIX_VENDOR_CVSS,
          {
            vendor_cvss_v3_exploitability_score_comparison: "<=",
            vendor_cvss_v3_exploitability_score: "3.8",
          },
          1,
        ],
      ],
    },
    {
      name: "vendor_cvss_v3_impact_score (vendor max 4.0)",
      rows: [
        [
          WILL_FIX_VENDOR_CVSS,
          { vendor_cvss_v3_impact_score_comparison: ">", vendor_cvss_v3_impact_score: "3.6" },
          1,
        ],
        [
          WILL_FIX_VENDOR_CVSS,
          { vendor_cvss_v3_impact_score_comparison: "<", vendor_cvss_v3_impact_score: "3.6" },
          0,
        ],
        [
          WILL_FIX_VENDOR_CVSS,
          { vendor_cvss_v3_impact_score_comparison: "=", vendor_cvss_v3_impact_score: "3.6" },
          0,
        ],
        [
          WILL_FIX_VENDOR_CVSS,
          { vendor_cvss_v3_impact_score_comparison: ">=", vendor_cvss_v3_impact_score: "3.6" },
          1,
        ],
        [
          WILL_FIX_VENDOR_CVSS,
          { vendor_cvss_v3_impact_score_comparison: "<=", vendor_cvss_v3_impact_score: "3.6" },
          0,
        ],
      ],
    },
  ];
  for (const table of tables) {
    for (const [vuln, params, expected] of table.rows) {
      test(`${table.name}: ${vuln.id}/${vuln.package.name} with ${JSON.stringify(params)} fires ${expected}`, () => {
        assert.equal(count("package", { package_type: "all", ...params }, withVulns(vuln)), expected);
      });
    }
  }
});

describe("vulnerabilities/package: CVSS maxima", () => {
  const multi: Vulnerability = {
    ...WILL_FIX,
    cvss: [
      { version: "3.0", source: "nvd", baseScore: 5.0, exploitabilityScore: 2.0, impactScore: 3.0 },
      { version: "3.1", source: "nvd", baseScore: 7.5, exploitabilityScore: 1.0, impactScore: 2.0 },
      { version: "4.0", source: "nvd", baseScore: 9.9, exploitabilityScore: 9.9, impactScore: 9.9 },
      { version: "3.1", source: "vendor", baseScore: 8.8 },
    ],
  };
  const rows: [Record<string, string>, number][] = [
    [{ cvss_v3_base_score: "7.5" }, 1],
    [{ cvss_v3_base_score: "7.6" }, 0],
    [{ cvss_v3_exploitability_score: "2.0" }, 1],
    [{ cvss_v3_exploitability_score_comparison: "=", cvss_v3_exploitability_score: "1.0" }, 0],
    [{ cvss_v3_impact_score_comparison: "=", cvss_v3_impact_score: "3.0" }, 1],
    [{ vendor_cvss_v3_base_score_comparison: "=", vendor_cvss_v3_base_score: "8.8" }, 1],
    // A vendor entry without sub-scores leaves them at -1.
    [{ vendor_cvss_v3_exploitability_score_comparison: "=", vendor_cvss_v3_exploitability_score: "-1" }, 1],
    // Every given score criterion must hold.
    [{ cvss_v3_base_score: "7.0", vendor_cvss_v3_base_score: "9.0" }, 0],
    [{ cvss_v3_base_score: "7.0", cvss_v3_impact_score: "3.0", vendor_cvss_v3_base_score: "8.0" }, 1],
  ];
  for (const [params, expected] of rows) {
    test(`${JSON.stringify(params)} fires ${expected}`, () => {
      assert.equal(count("package", { package_type: "all", ...params }, withVulns(multi)), expected);
    });
  }
});

describe("vulnerabilities/package: messages and trigger ids", () => {
  const rows: {
    name: string;
    vuln: Vulnerability;
    params?: Record<string, string>;
    message: string;
    id: string;
  }[] = [
    {
      name: "OS package without a fix",
      vuln: {
        id: "CVE-2020-8927",
        package: { name: "brotli", version: "1.0.6-1.el8", type: "rpm" },
        severity: "medium",
        fix: { state: "not-fixed", versions: [] },
        url: "https://access.redhat.com/security/cve/CVE-2020-8927",
      },
      message:
        "MEDIUM Vulnerability found in os package type (rpm) - brotli (CVE-2020-8927 - https://access.redhat.com/security/cve/CVE-2020-8927)",
      id: "CVE-2020-8927+brotli",
    },
    {
      name: "non-OS python package with a fix: path shown, name-version in the id",
      vuln: {
        id: "VULNDB-229216",
        package: {
          name: "pip",
          version: "9.0.3",
          type: "python",
          path: "/usr/lib/python3.6/site-packages/pip",
        },
        severity: "medium",
        fix: { state: "fixed", versions: ["19.3"] },
        url: "https://vulndb.example/vulnerabilities/229216",
      },
      message:
        "MEDIUM Vulnerability found in non-os package type (python) - /usr/lib/python3.6/site-packages/pip (fixed in: 19.3)(VULNDB-229216 - https://vulndb.example/vulnerabilities/229216)",
      id: "VULNDB-229216+pip-9.0.3",
    },
    {
      name: "several fix versions, empty ones dropped",
      vuln: { ...FIX_AVAILABLE, fix: { state: "fixed", versions: ["1.2", "", "1.3"] } },
      message:
        "MEDIUM Vulnerability found in os package type (dpkg) - libwebp6 (fixed in: 1.2, 1.3)(CVE-2018-25013 - https://security-tracker.debian.org/tracker/CVE-2018-25013)",
      id: "CVE-2018-25013+libwebp6",
    },
    {
      name: "NVD scores that were compared, in parameter order",
      vuln: WILL_FIX,
      params: {
        cvss_v3_impact_score: "3.6",
        cvss_v3_base_score: "6.0",
        cvss_v3_exploitability_score_comparison: "<",
        cvss_v3_exploitability_score: "2",
      },
      message:
        "LOW Vulnerability found in os package type (dpkg) - libsystemd0 (cvss_v3_base_score=6.1 cvss_v3_exploitability_score=1.6 cvss_v3_impact_score=4.0)(CVE-2020-13529 - https://security-tracker.debian.org/tracker/CVE-2020-13529)",
      id: "CVE-2020-13529+libsystemd0",
    },
    {
      name: "a missing score prints as -1.0",
      vuln: { ...WILL_FIX, cvss: [] },
      params: { cvss_v3_base_score_comparison: "<", cvss_v3_base_score: "5" },
      message:
        "LOW Vulnerability found in os package type (dpkg) - libsystemd0 (cvss_v3_base_score=-1.0)(CVE-2020-13529 - https://security-tracker.debian.org/tracker/CVE-2020-13529)",
      id: "CVE-2020-13529+libsystemd0",
    },
    {
      name: "a score of exactly 0 is left out of the message (falsy in anchore)",
      vuln: {
        ...WILL_FIX,
        cvss: [{ version: "3.1", source: "nvd", baseScore: 0, exploitabilityScore: 0, impactScore: 0 }],
      },
      params: { cvss_v3_base_score_comparison: "<=", cvss_v3_base_score: "1" },
      message:
        "LOW Vulnerability found in os package type (dpkg) - libsystemd0 (CVE-2020-13529 - https://security-tracker.debian.org/tracker/CVE-2020-13529)",
      id: "CVE-2020-13529+libsystemd0",
    },
    {
      name: "fix, scores, dates and vendor scores in anchore's order",
      vuln: {
        ...FIX_AVAILABLE,
        cvss: [
          ...(FIX_AVAILABLE.cvss ?? []),
          { version: "3.0", source: "vendor", baseScore: 8, impactScore: 5.9 },
        ],
      },
      params: {
        fix_available: "true",
        max_days_since_fix: "30",
        max_days_since_creation: "30",
        cvss_v3_base_score: "9",
        vendor_cvss_v3_base_score: "7",
        vendor_cvss_v3_impact_score: "5",
      },
      message:
        "MEDIUM Vulnerability found in os package type (dpkg) - libwebp6 (fixed in: 0.6.1-3)(cvss_v3_base_score=9.1)(max_days_since_creation=2021-06-04 max_days_since_fix=2021-06-04)(vendor_cvss_v3_base_score=8.0 vendor_cvss_v3_impact_score=5.9)(CVE-2018-25013 - https://security-tracker.debian.org/tracker/CVE-2018-25013)",
      id: "CVE-2018-25013+libwebp6",
    },
    {
      name: "an unknown fix time passes max_days_since_fix without a date",
      vuln: { ...FIX_AVAILABLE, fixAvailableAt: undefined },
      params: { fix_available: "true", max_days_since_fix: "30" },
      message:
        "MEDIUM Vulnerability found in os package type (dpkg) - libwebp6 (fixed in: 0.6.1-3)(CVE-2018-25013 - https://security-tracker.debian.org/tracker/CVE-2018-25013)",
      id: "CVE-2018-25013+libwebp6",
    },
    {
      name: "an unknown detection time counts as detected now",
      vuln: { ...WILL_FIX, detectedAt: undefined },
      params: { max_days_since_creation: "0" },
      message:
        "LOW Vulnerability found in os package type (dpkg) - libsystemd0 (max_days_since_creation=2026-11-01)(CVE-2020-13529 - https://security-tracker.debian.org/tracker/CVE-2020-13529)",
      id: "CVE-2020-13529+libsystemd0",
    },
    {
      name: "unknown severity, missing link and non-OS path print as anchore prints them",
      vuln: {
        id: "GHSA-xxxx-yyyy-zzzz",
        package: { name: "left-pad", version: "1.0.0", type: "npm" },
        severity: "unknown",
        fix: { state: "unknown", versions: [] },
      },
      params: { severity_comparison: ">=" },
      message: "UNKNOWN Vulnerability found in non-os package type (npm) - None (GHSA-xxxx-yyyy-zzzz - None)",
      id: "GHSA-xxxx-yyyy-zzzz+left-pad-1.0.0",
    },
    {
      name: "critical severity",
      vuln: { ...WILL_FIX, severity: "critical" },
      message:
        "CRITICAL Vulnerability found in os package type (dpkg) - libsystemd0 (CVE-2020-13529 - https://security-tracker.debian.org/tracker/CVE-2020-13529)",
      id: "CVE-2020-13529+libsystemd0",
    },
  ];
  for (const row of rows) {
    test(row.name, () => {
      const hits = fireTrigger(gate, "package", { package_type: "all", ...row.params }, withVulns(row.vuln));
      assert.deepEqual(hits, [{ triggerId: row.id, message: row.message }]);
    });
  }

  const idRows: [string, string, string | undefined, string][] = [
    ["dpkg", "openssl", "/var/lib/dpkg/status", "openssl"],
    ["apk", "musl", undefined, "musl"],
    ["java", "log4j-core", "/opt/app/lib/log4j-core-2.14.1.jar", "log4j-core-2.14.1.jar"],
    ["java", "spring-core", "/app.jar:BOOT-INF/lib/spring-core-5.3.0.jar", "spring-core-5.3.0.jar"],
    ["java", "x", "/opt/app/x/", "x-1.0"],
    ["java", "x", undefined, "x-1.0"],
    ["gem", "rack", "/usr/lib/ruby/gems/2.7.0/specifications/rack-2.2.3.gemspec", "rack-2.2.3.gemspec"],
    ["npm", "lodash", "/usr/lib/node_modules/lodash/package.json", "lodash"],
    ["npm", "lodash", "node_modules/lodash/package.json", "lodash"],
    ["npm", "lodash", "package.json", "lodash-1.0"],
    ["npm", "lodash", "/package.json", "lodash-1.0"],
    ["python", "requests", "/usr/lib/python3/site-packages/requests", "requests-1.0"],
    ["go", "golang.org/x/net", "/usr/bin/app", "golang.org/x/net-1.0"],
    ["maven", "commons-text", "/opt/app/lib/commons-text.jar", "commons-text-1.0"],
    // Class by lower-cased type, but anchore's java/gem/npm id rules are case-sensitive.
    ["Java", "log4j-core", "/opt/app/lib/log4j-core.jar", "log4j-core-1.0"],
  ];
  for (const [type, name, path, key] of idRows) {
    test(`trigger id of a ${type} package at ${path ?? "(no path)"} ends with +${key}`, () => {
      const vuln: Vulnerability = {
        id: "CVE-2021-0001",
        package: { name, version: "1.0", type, ...(path !== undefined ? { path } : {}) },
        severity: "high",
        fix: { state: "not-fixed", versions: [] },
        url: "https://example.test/CVE-2021-0001",
      };
      const hits = fireTrigger(gate, "package", { package_type: "all" }, withVulns(vuln));
      assert.equal(hits[0]?.triggerId, `CVE-2021-0001+${key}`);
    });
  }

  test("fires once per matching finding, in the order of the facts", () => {
    const hits = fireTrigger(
      gate,
      "package",
      { package_type: "all" },
      withVulns(FIX_AVAILABLE, WONT_FIX, WILL_FIX, NON_OS),
    );
    assert.deepEqual(
      hits.map((h) => h.triggerId),
      [
        "CVE-2018-25013+libwebp6",
        "CVE-2020-13529+libsystemd0",
        "CVE-2020-15719+libldap-2.4-2-2.4.47+dfsg-3+deb10u6",
      ],
    );
  });
});

describe("vulnerabilities/package: age boundaries", () => {
  const rows: [string, Record<string, string>, Partial<Vulnerability>, number][] = [
    ["detected exactly N days ago fires", { max_days_since_creation: "10" }, { detectedAt: daysAgo(10) }, 1],
    [
      "detected a second later does not",
      { max_days_since_creation: "10" },
      { detectedAt: new Date(TEST_NOW.getTime() - 10 * DAY_MS + 1000).toISOString() },
      0,
    ],
    ["detected 11 days ago fires", { max_days_since_creation: "10" }, { detectedAt: daysAgo(11) }, 1],
    [
      "unknown detection time with N > 0 does not fire",
      { max_days_since_creation: "1" },
      { detectedAt: undefined },
      0,
    ],
    [
      "fix seen exactly N days ago fires",
      { fix_available: "true", max_days_since_fix: "5" },
      { fixAvailableAt: daysAgo(5) },
      1,
    ],
    [
      "fix seen 4 days ago does not",
      { fix_available: "true", max_days_since_fix: "5" },
      { fixAvailableAt: daysAgo(4) },
      0,
    ],
  ];
  for (const [name, params, change, expected] of rows) {
    test(name, () => {
      assert.equal(
        count("package", { package_type: "all", ...params }, withVulns({ ...FIX_AVAILABLE, ...change })),
        expected,
      );
    });
  }
});

describe("vulnerabilities/package: without vulnerability data", () => {
  test("does not fire when the facts have no vulnerability data", () => {
    assert.equal(count("package", { package_type: "all" }, factsFor({ distro: DEBIAN })), 0);
  });
  test("does not fire on an empty scan result", () => {
    assert.equal(count("package", { package_type: "all" }, withVulns()), 0);
  });
});

describe("vulnerabilities parameters", () => {
  const rejected: [string, Record<string, string>, RegExp][] = [
    ["package", {}, /required parameter "package_type" is missing/],
    ["package", { package_type: "any" }, /"package_type".*one of all, os, non-os/],
    [
      "package",
      { package_type: "all", severity: "HIGH" },
      /"severity".*one of unknown, negligible, low, medium, high, critical/,
    ],
    ["package", { package_type: "all", severity: "severe" }, /"severity"/],
    [
      "package",
      { package_type: "all", severity_comparison: "==" },
      /"severity_comparison".*one of =, !=, <, >, <=, >=/,
    ],
    ["package", { package_type: "all", cvss_v3_base_score: "high" }, /"cvss_v3_base_score".*a number/],
    [
      "package",
      { package_type: "all", cvss_v3_base_score_comparison: "gt" },
      /"cvss_v3_base_score_comparison"/,
    ],
    ["package", { package_type: "all", vendor_cvss_v3_impact_score: "x" }, /"vendor_cvss_v3_impact_score"/],
    [
      "package",
      { package_type: "all", vendor_cvss_v3_exploitability_score_comparison: "~" },
      /"vendor_cvss_v3_exploitability_score_comparison"/,
    ],
    ["package", { package_type: "all", fix_available: "yes" }, /"fix_available"/],
    ["package", { package_type: "all", vendor_only: "1" }, /"vendor_only"/],
    [
      "package",
      { package_type: "all", max_days_since_creation: "-1" },
      /"max_days_since_creation".*whole number/,
    ],
    ["package", { package_type: "all", max_days_since_fix: "1.5" }, /"max_days_since_fix".*whole number/],
    [
      "package",
      { package_type: "all", package_path_exclude: "(" },
      /"package_path_exclude".*regular expression/,
    ],
    ["package", { package_type: "all", severity_level: "high" }, /unknown parameter "severity_level"/],
    ["stale_feed_data", {}, /required parameter "max_days_since_sync" is missing/],
    ["stale_feed_data", { max_days_since_sync: "ten" }, /"max_days_since_sync".*whole number/],
    ["vulnerability_data_unavailable", { foo: "1" }, /unknown parameter "foo"/],
    ["blacklist", {}, /required parameter "vulnerability_ids" is missing/],
    ["blacklist", { vulnerability_ids: "CVE-1,,CVE-2" }, /"vulnerability_ids"/],
    ["blacklist", { vulnerability_ids: "CVE-1", vendor_only: "maybe" }, /"vendor_only"/],
  ];
  for (const [trigger, params, pattern] of rejected) {
    test(`${trigger} rejects ${JSON.stringify(params)}`, () => {
      const problems = paramProblems(gate, trigger, params);
      assert.ok(
        problems.some((p) => pattern.test(p)),
        `expected a problem matching ${pattern}, got ${JSON.stringify(problems)}`,
      );
    });
  }

  const accepted: [string, Record<string, string>][] = [
    ["package", { package_type: "non-os", severity: "high", severity_comparison: ">=" }],
    ["package", { package_type: "os", fix_available: "TRUE", vendor_only: "False" }],
    ["package", { package_type: "all", cvss_v3_base_score: "7", vendor_cvss_v3_base_score: " 5.5 " }],
    ["package", { package_type: "all", package_path_exclude: "(?i).*/test/.*\\.jar" }],
    ["package", { package_type: "all", max_days_since_creation: "0", max_days_since_fix: "30" }],
    ["stale_feed_data", { max_days_since_sync: "10" }],
    ["vulnerability_data_unavailable", {}],
    ["blacklist", { vulnerability_ids: "CVE-2019-1234, CVE-2020-1", vendor_only: "false" }],
  ];
  for (const [trigger, params] of accepted) {
    test(`${trigger} accepts ${JSON.stringify(params)}`, () => {
      assert.deepEqual(paramProblems(gate, trigger, params), []);
    });
  }

  test("the package trigger declares anchore's parameters in anchore's order", () => {
    const trigger = gate.triggers.find((t) => t.name === "package");
    assert.deepEqual(
      trigger?.params.map((p) => [p.name, p.kind, p.required ?? false, p.default]),
      [
        ["package_type", "enum", true, undefined],
        ["severity_comparison", "enum", false, ">"],
        ["severity", "enum", false, "unknown"],
        ["cvss_v3_base_score_comparison", "enum", false, ">="],
        ["cvss_v3_base_score", "float", false, undefined],
        ["cvss_v3_exploitability_score_comparison", "enum", false, ">="],
        ["cvss_v3_exploitability_score", "float", false, undefined],
        ["cvss_v3_impact_score_comparison", "enum", false, ">="],
        ["cvss_v3_impact_score", "float", false, undefined],
        ["fix_available", "boolean", false, undefined],
        ["vendor_only", "boolean", false, "true"],
        ["max_days_since_creation", "integer", false, undefined],
        ["max_days_since_fix", "integer", false, undefined],
        ["vendor_cvss_v3_base_score_comparison", "enum", false, ">="],
        ["vendor_cvss_v3_base_score", "float", false, undefined],
        ["vendor_cvss_v3_exploitability_score_comparison", "enum", false, ">="],
        ["vendor_cvss_v3_exploitability_score", "float", false, undefined],
        ["vendor_cvss_v3_impact_score_comparison", "enum", false, ">="],
        ["vendor_cvss_v3_impact_score", "float", false, undefined],
        ["package_path_exclude", "string", false, undefined],
      ],
    );
  });

  test("the gate has anchore's four active triggers", () => {
    assert.deepEqual(
      gate.triggers.map((t) => t.name),
      ["package", "stale_feed_data", "vulnerability_data_unavailable", "blacklist"],
    );
  });
});

describe("vulnerabilities/stale_feed_data", () => {
  const stale = (days: number) =>
    `The vulnerability feed for this image distro is older than MAXAGE (${days}) days`;
  const prov = (...dates: (string | undefined)[]): Provenance[] =>
    dates.map((d, i) => ({ source: `scanner${i}`, ...(d !== undefined ? { dbUpdatedAt: d } : {}) }));
  const rows: [string, string, Provenance[] | undefined, boolean][] = [
    ["DB updated 2 days ago, max 1", "1", prov(daysAgo(2)), true],
    ["DB updated now, max 1", "1", prov(TEST_NOW.toISOString()), false],
    ["DB updated exactly max days ago (not older)", "3", prov(daysAgo(3)), false],
    ["the oldest of several DB times counts", "3", prov(daysAgo(0.5), daysAgo(5), undefined), true],
    ["all DB times fresh", "3", prov(daysAgo(0.5), daysAgo(2), undefined), false],
    [
      "provenance without any DB time is an unknown age, not a stale one",
      "30",
      prov(undefined, undefined),
      false,
    ],
    ["no provenance at all is an unknown age, not a stale one", "30", undefined, false],
  ];
  for (const [name, maxDays, provenance, fires] of rows) {
    test(name, () => {
      const facts = factsFor({ distro: DEBIAN, vulnerabilities: [], ...(provenance ? { provenance } : {}) });
      const hits = fireTrigger(gate, "stale_feed_data", { max_days_since_sync: maxDays }, facts);
      assert.deepEqual(
        hits.map((h) => h.message),
        fires ? [stale(Number(maxDays))] : [],
      );
    });
  }

  test("fire_when_unknown fires on an unknown age, saying it is unknown; a known fresh age still passes", () => {
    const unknown = fireTrigger(
      gate,
      "stale_feed_data",
      { max_days_since_sync: "7", fire_when_unknown: "true" },
      factsFor({ provenance: prov(undefined) }),
    );
    assert.deepEqual(
      unknown.map((h) => h.message),
      [
        "The age of the vulnerability feed for this image is unknown (no input gives its update time; MAXAGE 7 days)",
      ],
    );
    const fresh = fireTrigger(
      gate,
      "stale_feed_data",
      { max_days_since_sync: "7", fire_when_unknown: "true" },
      factsFor({ provenance: prov(daysAgo(1)) }),
    );
    assert.deepEqual(fresh, []);
  });

  test("uses anchore's default trigger id (md5 of gate, trigger and message)", () => {
    const hits = fireTrigger(
      gate,
      "stale_feed_data",
      { max_days_since_sync: "1" },
      factsFor({ provenance: prov(daysAgo(9)) }),
    );
    // md5("vulnerabilities" + "stale_feed_data" + message), computed independently with Python's hashlib.
    assert.deepEqual(hits, [{ triggerId: "39e866cb3781743d7b9cabfb20ab59a3", message: stale(1) }]);
  });

  test("prints the parsed number of days, as anchore's int() does", () => {
    const hits = fireTrigger(
      gate,
      "stale_feed_data",
      { max_days_since_sync: "007" },
      factsFor({ provenance: prov(daysAgo(9)) }),
    );
    assert.equal(hits[0]?.message, stale(7));
  });

  test("an unreadable DB time fires anchore's cannot-check message", () => {
    const hits = fireTrigger(
      gate,
      "stale_feed_data",
      { max_days_since_sync: "1" },
      factsFor({ provenance: prov(daysAgo(0), "yesterday") }),
    );
    assert.equal(hits.length, 1);
    assert.match(
      hits[0]?.message ?? "",
      /^Cannot perform data feed up-to-date check - message from server: .*"yesterday"/,
    );
  });
});

describe("vulnerabilities/vulnerability_data_unavailable", () => {
  test("fires with anchore's message and md5 trigger id when there is no vulnerability data", () => {
    const hits = fireTrigger(gate, "vulnerability_data_unavailable", {}, factsFor({ distro: DEBIAN }));
    // md5("vulnerabilities" + "vulnerability_data_unavailable" + message), computed independently with Python's hashlib.
    assert.deepEqual(hits, [
      {
        triggerId: "86fa1d788823cd10f205361f8493f38c",
        message:
          "Distro-specific feed data not found for distro namespace: debian:10. Cannot perform CVE scan OS/distro packages",
      },
    ]);
  });
  test("prints None for an image without a known distro version, as anchore does", () => {
    const hits = fireTrigger(
      gate,
      "vulnerability_data_unavailable",
      {},
      factsFor({ distro: { name: "alpine" } }),
    );
    assert.equal(
      hits[0]?.message,
      "Distro-specific feed data not found for distro namespace: None. Cannot perform CVE scan OS/distro packages",
    );
  });
  test("does not fire on an empty scan result (scanned, nothing found)", () => {
    assert.equal(count("vulnerability_data_unavailable", {}, withVulns()), 0);
  });
  test("does not fire when there are findings", () => {
    assert.equal(count("vulnerability_data_unavailable", {}, withVulns(WILL_FIX)), 0);
  });
});

describe("vulnerabilities/blacklist", () => {
  // anchore-engine's test_vulnerabilities_blacklist_trigger table.
  const rows: [Vulnerability, string, string, string | undefined][] = [
    [WILL_FIX, "CVE-2020-13529", "false", "['CVE-2020-13529']"],
    [WILL_FIX, "CVE-2020-13579", "false", undefined],
    [WILL_FIX, "CVE-2020-13529", "true", "['CVE-2020-13529']"],
    [WONT_FIX, "CVE-2020-15719", "true", undefined],
    [WONT_FIX, "CVE-2020-15719", "false", "['CVE-2020-15719']"],
    [WILL_FIX, "CVE-2020-13529, CVE-2020-13579", "false", "['CVE-2020-13529']"],
    [WILL_FIX, "CVE-2020-13525, CVE-2004-0975", "false", undefined],
  ];
  for (const [vuln, ids, vendorOnly, listed] of rows) {
    test(`${ids} (vendor_only ${vendorOnly}) against ${vuln.id} (${vuln.fix.state})`, () => {
      const hits = fireTrigger(
        gate,
        "blacklist",
        { vulnerability_ids: ids, vendor_only: vendorOnly },
        withVulns(vuln),
      );
      assert.deepEqual(
        hits.map((h) => h.message),
        listed ? [`Blacklisted vulnerabilities detected: ${listed}`] : [],
      );
    });
  }

  test("fires once, listing found ids in parameter order with anchore's md5 trigger id", () => {
    const one = fireTrigger(gate, "blacklist", { vulnerability_ids: "CVE-2020-13529" }, withVulns(WILL_FIX));
    // md5("vulnerabilities" + "blacklist" + message), computed independently with Python's hashlib.
    assert.deepEqual(one, [
      {
        triggerId: "df1b2b2c5078d3932bd46286ef783e83",
        message: "Blacklisted vulnerabilities detected: ['CVE-2020-13529']",
      },
    ]);
    const two = fireTrigger(
      gate,
      "blacklist",
      { vulnerability_ids: "CVE-2020-15719,CVE-2018-25013,CVE-2020-13529" },
      withVulns(WILL_FIX, FIX_AVAILABLE, NON_OS),
    );
    assert.deepEqual(
      two.map((h) => h.message),
      ["Blacklisted vulnerabilities detected: ['CVE-2020-15719', 'CVE-2018-25013', 'CVE-2020-13529']"],
    );
  });

  test("vendor_only defaults to true", () => {
    assert.equal(count("blacklist", { vulnerability_ids: "CVE-2020-15719" }, withVulns(WONT_FIX)), 0);
  });

  test("ids print as Python reprs", () => {
    const odd: Vulnerability = { ...WILL_FIX, id: "it's" };
    const hits = fireTrigger(gate, "blacklist", { vulnerability_ids: "it's" }, withVulns(odd));
    assert.equal(hits[0]?.message, `Blacklisted vulnerabilities detected: ["it's"]`);
  });

  test("ids match exactly (aliases and case do not count)", () => {
    const aliased: Vulnerability = { ...WILL_FIX, id: "GHSA-aaaa-bbbb-cccc", aliases: ["CVE-2020-13529"] };
    assert.equal(count("blacklist", { vulnerability_ids: "CVE-2020-13529" }, withVulns(aliased)), 0);
    assert.equal(count("blacklist", { vulnerability_ids: "cve-2020-13529" }, withVulns(WILL_FIX)), 0);
  });

  test("does not fire without vulnerability data", () => {
    assert.equal(count("blacklist", { vulnerability_ids: "CVE-2020-13529" }, factsFor()), 0);
  });
});
