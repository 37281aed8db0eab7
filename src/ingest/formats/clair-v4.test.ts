import assert from "node:assert/strict";
import { test } from "node:test";
import { readCorpusJson, skipWithoutCorpus } from "../../../test/support/corpus.js";
import { countBy, findFinding } from "../../../test/support/ingest.js";
import { clairV4Format } from "./clair-v4.js";

const RHEL8 = "scanners/clair-v4/clair-action_quay-rhel8.json";
const WITH_VULNS = "scanners/clair-v4/clair-action_report-with-vulns.json";

test("quay RHEL 8 report: the corpus facts hold for the raw document", {
  skip: skipWithoutCorpus(RHEL8),
}, () => {
  // SOURCES.md computed facts: 668 packages, 37 vulns (High 6, Medium 14, Unknown 17), 39 pairs, 20 fixable.
  const doc = readCorpusJson(RHEL8) as {
    packages: object;
    vulnerabilities: Record<string, { normalized_severity: string; fixed_in_version: string }>;
    package_vulnerabilities: Record<string, string[]>;
  };
  const records = Object.values(doc.vulnerabilities);
  assert.equal(Object.keys(doc.packages).length, 668);
  assert.equal(records.length, 37);
  assert.deepEqual(
    countBy(records, (r) => r.normalized_severity),
    { High: 6, Medium: 14, Unknown: 17 },
  );
  assert.equal(Object.values(doc.package_vulnerabilities).flat().length, 39);
  assert.equal(records.filter((r) => r.fixed_in_version !== "").length, 20);
});

test("quay RHEL 8 report: 39 (record, package) pairs make 29 findings", {
  skip: skipWithoutCorpus(RHEL8),
}, () => {
  const report = clairV4Format.parse(readCorpusJson(RHEL8), RHEL8);
  assert.equal(report.format, "clair-v4");
  assert.deepEqual(report.scanner, { name: "clair" });
  assert.deepEqual(report.image, {
    digest: "sha256:dad53b0e41228f99b397ff4395093fc26a692b84b1763f1c0ba6494101de854d",
  });
  assert.deepEqual(report.distro, { name: "rhel", version: "8" });
  // Each RHSA comes as two records (appstream and baseos repositories) matching the same package: one finding.
  // 20 RHSA pairs → 10 findings (High 3, Medium 7); 19 pyup.io pairs stay 19 (Unknown).
  const vulns = report.vulnerabilities ?? [];
  assert.equal(vulns.length, 29);
  assert.deepEqual(
    countBy(vulns, (v) => v.severity),
    { high: 3, medium: 7, unknown: 19 },
  );
  assert.equal(vulns.filter((v) => v.fix.state === "fixed").length, 10);
  assert.equal(vulns.filter((v) => v.fix.state === "not-fixed").length, 19);
  // 668 package records, many listed twice (once per layer): 290 distinct RPMs and 192 Python packages.
  assert.equal(report.packages.length, 482);
  assert.deepEqual(
    countBy(report.packages, (p) => p.type),
    { rpm: 290, python: 192 },
  );
  assert.deepEqual(report.notes, []);
});

test("quay RHEL 8 report: an RHSA on an RPM and a pyup.io advisory on a Python package", {
  skip: skipWithoutCorpus(RHEL8),
}, () => {
  const vulns = clairV4Format.parse(readCorpusJson(RHEL8), RHEL8).vulnerabilities;
  const openssl = findFinding(vulns, "RHSA-2022:1065", "openssl");
  assert.deepEqual(openssl.package, { name: "openssl", version: "1:1.1.1k-5.el8_5", type: "rpm" });
  assert.equal(openssl.severity, "high");
  assert.deepEqual(openssl.fix, { state: "fixed", versions: ["1:1.1.1k-6.el8_5"] });
  // An RHSA is an advisory: the CVE it names is kept beside it, not as an alias to merge on
  assert.equal(openssl.aliases, undefined);
  assert.deepEqual(openssl.advisories, ["CVE-2022-0778"]);
  assert.equal(openssl.url, "https://access.redhat.com/errata/RHSA-2022:1065");
  assert.equal(openssl.publishedAt, "2022-03-28T00:00:00.000Z");
  assert.deepEqual(openssl.sources, ["clair"]);

  const urllib3 = vulns?.filter((v) => v.id === "pyup.io-38834") ?? [];
  assert.deepEqual(
    urllib3.map((v) => v.package),
    [
      { name: "urllib3", version: "1.25.8", type: "python", path: "/usr/local/lib/python3.8/site-packages" },
      { name: "urllib3", version: "1.24.2", type: "python", path: "/usr/lib/python3.6/site-packages" },
    ],
  );
  assert.equal(urllib3[0]?.severity, "unknown");
  assert.deepEqual(urllib3[0]?.aliases, ["CVE-2020-26137"]);
  assert.deepEqual(urllib3[0]?.fix, { state: "not-fixed", versions: [] });
  // Go's zero time in `issued` means unknown, not the year 1.
  assert.equal(urllib3[0]?.publishedAt, undefined);
});

test("clair-action report with vulns: 3 pyup.io findings", { skip: skipWithoutCorpus(WITH_VULNS) }, () => {
  const report = clairV4Format.parse(readCorpusJson(WITH_VULNS), WITH_VULNS);
  // jq '[.package_vulnerabilities[]] | flatten | length' → 3; every record's normalized_severity is Unknown.
  assert.deepEqual(
    report.vulnerabilities?.map((v) => `${v.id} ${v.package.name}@${v.package.version} ${v.severity}`),
    [
      "pyup.io-42559 pip@19.3.1 unknown",
      "pyup.io-40291 pip@19.3.1 unknown",
      "pyup.io-39642 reportlab@3.5.55 unknown",
    ],
  );
  assert.equal(
    report.image?.digest,
    "sha256:5f8d7f8c8d2babeec919b7854113bfb4c429acc929dadaff4637f6bd5268cf4d",
  );
});

/** A small report of our own with enrichments, an OSV-style fixed version and a CVE name. */
function enrichedReport(): Record<string, unknown> {
  return {
    manifest_hash: "sha256:1111111111111111111111111111111111111111111111111111111111111111",
    packages: {
      "1": { id: "1", name: "lodash", version: "4.17.20", kind: "binary" },
      "2": { id: "2", name: "libssl3", version: "3.0.2-0ubuntu1", kind: "binary" },
    },
    distributions: { "1": { id: "1", did: "ubuntu", version_id: "22.04", version: "22.04 (Jammy)" } },
    environments: {
      "1": [{ package_db: "nodejs:app/node_modules/lodash/package.json", introduced_in: "sha256:aa" }],
      "2": [
        { package_db: "var/lib/dpkg/status", introduced_in: "sha256:bb", distribution_id: "1" },
        { package_db: "var/lib/dpkg/status", introduced_in: "sha256:cc", distribution_id: "1" },
      ],
    },
    vulnerabilities: {
      "10": {
        id: "10",
        name: "GHSA-35jh-r3h4-6jhm",
        links:
          "https://github.com/advisories/GHSA-35jh-r3h4-6jhm https://nvd.nist.gov/vuln/detail/CVE-2021-23337",
        normalized_severity: "",
        fixed_in_version: "fixed=4.17.21&introduced=0",
        issued: "2021-02-15T00:00:00Z",
      },
      "11": {
        id: "11",
        name: "CVE-2022-0778",
        links: "https://ubuntu.com/security/CVE-2022-0778",
        severity: "high",
        normalized_severity: "High",
        fixed_in_version: "",
      },
    },
    package_vulnerabilities: { "1": ["10"], "2": ["11"] },
    enrichments: {
      "message/vnd.clair.map.vulnerability; enricher=clair.cvss schema=https://csrc.nist.gov/schema/nvd/feed/1.1/cvss-v3.x.json":
        [
          {
            "10": [
              {
                version: "3.1",
                vectorString: "CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H",
                baseScore: 7.2,
              },
            ],
          },
        ],
      "message/vnd.clair.map.vulnerability; enricher=clair.epss schema=none": [
        {
          "11": [
            {
              cve: "CVE-2022-0778",
              epss: 0.0123,
              percentile: 0.85,
              date: "2024-01-02",
              modelVersion: "v2023.03.01",
            },
          ],
        },
      ],
      "message/vnd.clair.map.vulnerability; enricher=clair.kev schema=https://www.cisa.gov/x.json": [
        { "11": [{ cve: "CVE-2022-0778", date_added: "2022-05-01" }] },
      ],
    },
  };
}

test("enrichments: NVD CVSS (banded when there is no severity), EPSS and KEV; language package locations", () => {
  const report = clairV4Format.parse(enrichedReport(), "enriched.json");
  const [lodash, ssl] = report.vulnerabilities ?? [];
  assert.deepEqual(lodash, {
    id: "GHSA-35jh-r3h4-6jhm",
    aliases: ["CVE-2021-23337"],
    package: {
      name: "lodash",
      version: "4.17.20",
      type: "npm",
      path: "/app/node_modules/lodash/package.json",
    },
    severity: "high",
    cvss: [
      {
        version: "3.1",
        source: "nvd",
        sourceName: "nvd",
        baseScore: 7.2,
        vector: "CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H",
      },
    ],
    fix: { state: "fixed", versions: ["4.17.21"] },
    publishedAt: "2021-02-15T00:00:00.000Z",
    url: "https://github.com/advisories/GHSA-35jh-r3h4-6jhm",
    sources: ["clair"],
  });
  assert.equal(ssl?.id, "CVE-2022-0778");
  assert.equal(ssl?.aliases, undefined);
  assert.deepEqual(ssl?.package, { name: "libssl3", version: "3.0.2-0ubuntu1", type: "dpkg" });
  assert.deepEqual(ssl?.epss, { score: 0.0123, percentile: 0.85, date: "2024-01-02" });
  assert.equal(ssl?.knownExploited, true);
  assert.deepEqual(report.distro, { name: "ubuntu", version: "22.04" });
});

test("null maps (Go's empty maps) read as empty: no findings, but vulnerability data", () => {
  const report = clairV4Format.parse(
    {
      manifest_hash: "sha256:22",
      packages: null,
      vulnerabilities: null,
      package_vulnerabilities: null,
      enrichments: null,
    },
    "empty.json",
  );
  assert.deepEqual(report.vulnerabilities, []);
  assert.deepEqual(report.packages, []);
});

test("broken documents: CIP_REPORT_INVALID naming where", () => {
  const dangling = enrichedReport();
  dangling.package_vulnerabilities = { "9": ["10"] };
  assert.throws(() => clairV4Format.parse(dangling, "r.json"), {
    code: "CIP_REPORT_INVALID",
    message: /package id "9" is not in \$\.packages \(at \$\.package_vulnerabilities\["9"\]\)/,
  });
  const unknownVuln = enrichedReport();
  unknownVuln.package_vulnerabilities = { "1": ["99"] };
  assert.throws(() => clairV4Format.parse(unknownVuln, "r.json"), {
    code: "CIP_REPORT_INVALID",
    message: /vulnerability id "99" is not in \$\.vulnerabilities/,
  });
  const badPackages = enrichedReport();
  badPackages.packages = [];
  assert.throws(() => clairV4Format.parse(badPackages, "r.json"), {
    code: "CIP_REPORT_INVALID",
    message: /Cannot read Clair v4 report r\.json: expected an object, got an array \(at \$\.packages\)/,
  });
  const noName = enrichedReport();
  noName.packages = { "1": { id: "1", version: "1" } };
  assert.throws(() => clairV4Format.parse(noName, "r.json"), {
    code: "CIP_REPORT_INVALID",
    message: /\$\.packages\["1"\]\.name/,
  });
  assert.throws(() => clairV4Format.parse({ packages: {}, vulnerabilities: {} }, "r.json"), {
    code: "CIP_REPORT_INVALID",
    message: /at \$\.manifest_hash/,
  });
});

test("detection: a vulnerability report, not an index report or a single API object", () => {
  assert.equal(clairV4Format.detect(enrichedReport()), true);
  assert.equal(
    clairV4Format.detect({
      manifest_hash: "sha256:1",
      packages: {},
      environments: {},
      state: "IndexFinished",
    }),
    false,
  );
  assert.equal(clairV4Format.detect({ id: "1", name: "CVE-1", normalized_severity: "Low" }), false);
  assert.equal(clairV4Format.detect(null), false);
  assert.equal(clairV4Format.detect([]), false);
});
