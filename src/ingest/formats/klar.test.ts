import assert from "node:assert/strict";
import { test } from "node:test";
import { readCorpusJson, skipWithoutCorpus } from "../../../test/support/corpus.js";
import { severityCounts } from "../../../test/support/ingest.js";
import { klarFormat } from "./klar.js";

const EMPTY = "scanners/klar/clairklar_empty.json";
const HIGH = "scanners/klar/clairklar_high.json";
const MIXED = "scanners/klar/clairklar_mixed.json";

function severities(path: string): Record<string, number> {
  return severityCounts(klarFormat.parse(readCorpusJson(path), path));
}

test("klar empty report: vulnerability data with no findings", { skip: skipWithoutCorpus(EMPTY) }, () => {
  const report = klarFormat.parse(readCorpusJson(EMPTY), EMPTY);
  assert.deepEqual(report.vulnerabilities, []);
  assert.deepEqual(report.packages, []);
  assert.deepEqual(report.scanner, { name: "klar" });
});

test("klar high report: 6 High findings, as DefectDojo counts", { skip: skipWithoutCorpus(HIGH) }, () => {
  // DefectDojo asserts 6 findings; jq '.Vulnerabilities.High | length' → 6.
  assert.deepEqual(severities(HIGH), { high: 6 });
});

test("klar mixed report: one finding per bucket, Defcon1 is critical", {
  skip: skipWithoutCorpus(MIXED),
}, () => {
  // Buckets Defcon1, Critical, High, Medium, Low, Unknown hold one entry each (jq); DefectDojo asserts 6.
  assert.deepEqual(severities(MIXED), { critical: 2, high: 1, medium: 1, low: 1, unknown: 1 });
  const report = klarFormat.parse(readCorpusJson(MIXED), MIXED);
  assert.deepEqual(report.distro, { name: "centos", version: "7" });
  const perl = report.vulnerabilities?.find((v) => v.package.name === "perl-libs");
  assert.deepEqual(perl, {
    id: "RHSA-2019:0109",
    advisories: ["CVE-2018-18311"],
    package: { name: "perl-libs", version: "4:5.16.3-293.el7", type: "rpm" },
    severity: "critical",
    fix: { state: "fixed", versions: ["4:5.16.3-294.el7_6"] },
    url: "https://access.redhat.com/errata/RHSA-2019:0109",
    description: perl?.description,
    sources: ["klar"],
  });
  assert.match(perl?.description ?? "", /^Perl is a high-level programming language/);
  assert.ok((perl?.description ?? "").length <= 300);
  assert.equal(report.packages.length, 6);
});

test("klar Metadata: NVD CVSS v2 and v3 scores; severity banded from v3 only when the word is missing", () => {
  const report = klarFormat.parse(
    {
      LayerCount: 3,
      Vulnerabilities: {
        Unknown: [
          {
            Name: "CVE-2019-5094",
            NamespaceName: "debian:10",
            Link: "https://security-tracker.debian.org/tracker/CVE-2019-5094",
            FeatureName: "e2fsprogs",
            FeatureVersion: "1.44.5-1+deb10u1",
            Metadata: {
              NVD: {
                CVSSv2: { Score: 4.6, Vectors: "AV:L/AC:L/Au:N/C:P/I:P/A:P" },
                CVSSv3: {
                  Score: 6.7,
                  Vectors: "CVSS:3.1/AV:L/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H",
                  ImpactScore: 5.9,
                },
              },
            },
          },
        ],
      },
    },
    "klar.json",
  );
  const [v] = report.vulnerabilities ?? [];
  // The bucket word "Unknown" is a severity we know, so the item stays unknown despite its scores.
  assert.equal(v?.severity, "unknown");
  assert.deepEqual(v?.cvss, [
    {
      version: "2.0",
      source: "nvd",
      sourceName: "nvd",
      baseScore: 4.6,
      vector: "AV:L/AC:L/Au:N/C:P/I:P/A:P",
    },
    {
      version: "3.1",
      source: "nvd",
      sourceName: "nvd",
      baseScore: 6.7,
      impactScore: 5.9,
      vector: "CVSS:3.1/AV:L/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H",
    },
  ]);
  assert.deepEqual(v?.fix, { state: "not-fixed", versions: [] });
  assert.equal(v?.package.type, "dpkg");
  assert.deepEqual(report.distro, { name: "debian", version: "10" });
});

test("broken klar documents: CIP_REPORT_INVALID naming where", () => {
  assert.throws(() => klarFormat.parse({ LayerCount: 1, Vulnerabilities: { High: {} } }, "k.json"), {
    code: "CIP_REPORT_INVALID",
    message:
      /Cannot read klar JSON report k\.json: expected an array, got an object \(at \$\.Vulnerabilities\.High\)/,
  });
  assert.throws(
    () => klarFormat.parse({ LayerCount: 1, Vulnerabilities: { High: [{ Name: "CVE-1" }] } }, "k.json"),
    {
      code: "CIP_REPORT_INVALID",
      message: /at \$\.Vulnerabilities\.High\[0\]\.FeatureName/,
    },
  );
  assert.throws(() => klarFormat.parse({ LayerCount: 1 }, "k.json"), {
    code: "CIP_REPORT_INVALID",
    message: /at \$\.Vulnerabilities/,
  });
});
