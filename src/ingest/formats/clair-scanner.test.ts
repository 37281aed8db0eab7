import assert from "node:assert/strict";
import { test } from "node:test";
import { readCorpusJson, skipWithoutCorpus } from "../../../test/support/corpus.js";
import { severityCounts } from "../../../test/support/ingest.js";
import { clairScannerFormat } from "./clair-scanner.js";

const EMPTY = "scanners/clair-scanner/clair_empty.json";
const FEW = "scanners/clair-scanner/clair_few_vuln.json";
const MANY = "scanners/clair-scanner/clair_many_vul.json";

test("clair-scanner empty report: image named, no findings", { skip: skipWithoutCorpus(EMPTY) }, () => {
  const report = clairScannerFormat.parse(readCorpusJson(EMPTY), EMPTY);
  assert.deepEqual(report.image, { ref: "empty:latest" });
  assert.deepEqual(report.vulnerabilities, []);
  assert.deepEqual(report.notes, []);
});

test("clair-scanner few vulns: 4 Medium findings, as DefectDojo counts", {
  skip: skipWithoutCorpus(FEW),
}, () => {
  const report = clairScannerFormat.parse(readCorpusJson(FEW), FEW);
  assert.deepEqual(
    report.vulnerabilities?.map((v) => v.severity),
    ["medium", "medium", "medium", "medium"],
  );
  // 35 ids are unapproved but only 4 are listed: every listed one is unapproved, so nothing to note.
  assert.deepEqual(report.notes, []);
});

test("clair-scanner many vulns: 35 findings (Medium 9, Low 15, Negligible 11)", {
  skip: skipWithoutCorpus(MANY),
}, () => {
  const report = clairScannerFormat.parse(readCorpusJson(MANY), MANY);
  const vulns = report.vulnerabilities ?? [];
  assert.equal(vulns.length, 35);
  assert.deepEqual(severityCounts(vulns), { medium: 9, low: 15, negligible: 11 });
  // jq '[.vulnerabilities[] | select(.fixedby != "")] | length' → 3
  assert.equal(vulns.filter((v) => v.fix.state === "fixed").length, 3);
  assert.equal(
    report.image?.ref,
    "default-docker-3rdparty.bahnhub.tech.rz.db.de:443/ubuntu:bionic-20190912.1",
  );
  assert.deepEqual(report.distro, { name: "ubuntu", version: "18.04" });
  // The first finding as DefectDojo checks it: CVE-2018-20839 in systemd 237-3ubuntu10.29, Medium.
  assert.deepEqual(vulns[0], {
    id: "CVE-2018-20839",
    package: { name: "systemd", version: "237-3ubuntu10.29", type: "dpkg" },
    severity: "medium",
    fix: { state: "not-fixed", versions: [] },
    url: "http://people.ubuntu.com/~ubuntu-security/cve/CVE-2018-20839",
    description: vulns[0]?.description,
    sources: ["clair-scanner"],
  });
  assert.match(vulns[0]?.description ?? "", /^systemd 242 changes the VT1 mode upon a logout/);
  const e2fs = vulns.find((v) => v.id === "CVE-2019-5094");
  assert.deepEqual(e2fs?.fix, { state: "fixed", versions: ["1.44.1-1ubuntu1.2"] });
});

test("approved vulnerabilities stay findings, with a note", () => {
  const report = clairScannerFormat.parse(
    {
      image: "alpine:3.9",
      unapproved: ["CVE-2019-14697"],
      vulnerabilities: [
        {
          featurename: "musl",
          featureversion: "1.1.20-r4",
          vulnerability: "CVE-2019-14697",
          namespace: "alpine:v3.9",
          severity: "High",
          fixedby: "1.1.20-r5",
        },
        {
          featurename: "busybox",
          featureversion: "1.29.3-r10",
          vulnerability: "CVE-2018-20679",
          namespace: "alpine:v3.9",
          severity: "Low",
        },
      ],
    },
    "cs.json",
  );
  assert.equal(report.vulnerabilities?.length, 2);
  assert.deepEqual(report.notes, [
    "clair-scanner: 1 of 2 vulnerabilities were approved by its whitelist (kept as findings)",
  ]);
  assert.equal(report.vulnerabilities?.[0]?.package.type, "apk");
  assert.deepEqual(report.distro, { name: "alpine", version: "3.9" });
});

test("broken clair-scanner documents: CIP_REPORT_INVALID naming where", () => {
  assert.throws(
    () => clairScannerFormat.parse({ unapproved: [], vulnerabilities: [{ featurename: "x" }] }, "c.json"),
    {
      code: "CIP_REPORT_INVALID",
      message:
        /Cannot read clair-scanner JSON report c\.json: a required string is missing \(at \$\.vulnerabilities\[0\]\.vulnerability\)/,
    },
  );
  assert.throws(() => clairScannerFormat.parse({ unapproved: [], vulnerabilities: [7] }, "c.json"), {
    code: "CIP_REPORT_INVALID",
    message: /expected an object, got a number \(at \$\.vulnerabilities\[0\]\)/,
  });
  assert.throws(() => clairScannerFormat.parse({ unapproved: "x", vulnerabilities: [] }, "c.json"), {
    code: "CIP_REPORT_INVALID",
    message: /at \$\.unapproved/,
  });
});
