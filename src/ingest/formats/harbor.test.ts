import assert from "node:assert/strict";
import { test } from "node:test";
import { NO_CORPUS, readCorpusJson, skipWithoutCorpus } from "../../../test/support/corpus.js";
import { seededRandom } from "../../../test/support/fuzz.js";
import { claimedBy, fuzzParser, severityCounts } from "../../../test/support/ingest.js";
import { isCipError } from "../../model/index.js";
import { harborFormat } from "./harbor.js";

const DIR = "scanners/harbor";
const WEBHOOKS = "webhooks/harbor";

function parse(file: string) {
  return harborFormat.parse(readCorpusJson(file), file);
}

test("harbor 1.0 report in its mime-type wrapper: findings, fix versions, the scanner behind Harbor", {
  skip: skipWithoutCorpus(`${DIR}/harbor-5-vuln.json`),
}, () => {
  const report = parse(`${DIR}/harbor-5-vuln.json`);
  assert.equal(report.format, "harbor");
  assert.deepEqual(report.scanner, { name: "clair", version: "2.x" });
  assert.equal(report.producedAt, "2020-01-01T00:00:00.000Z");
  // Counted with jq '[.[].vulnerabilities[].severity] | group_by(.) | map({(.[0]): length})'.
  assert.equal(report.vulnerabilities?.length, 5);
  assert.deepEqual(severityCounts(report.vulnerabilities), { negligible: 1, high: 2, critical: 2 });
  const [first, second] = report.vulnerabilities ?? [];
  assert.deepEqual(first?.fix, { state: "fixed", versions: ["unexploitable-version-1"] });
  assert.equal(first?.url, "https://github.com/goharbor/harbor");
  assert.deepEqual(first?.package, { name: "package-1", version: "exploitable-version-1", type: "unknown" });
  // An empty fix_version: Harbor knows of no fix.
  assert.deepEqual(second?.fix, { state: "not-fixed", versions: [] });
  assert.equal(report.packages.length, 5);
});

test("harbor 0 and 1 vuln reports: null vulnerabilities is an empty list", {
  skip: skipWithoutCorpus(`${DIR}/harbor-0-vuln.json`, `${DIR}/harbor-1-vuln.json`),
}, () => {
  assert.deepEqual(parse(`${DIR}/harbor-0-vuln.json`).vulnerabilities, []);
  const one = parse(`${DIR}/harbor-1-vuln.json`).vulnerabilities ?? [];
  assert.equal(one.length, 1);
  assert.equal(one[0]?.severity, "negligible");
});

test("harbor 1.1 report from Trivy: CVSS by scorer, artifact digest as the image digest", {
  skip: skipWithoutCorpus(`${DIR}/harbor-trivy-vuln.json`),
}, () => {
  const report = parse(`${DIR}/harbor-trivy-vuln.json`);
  assert.deepEqual(report.scanner, { name: "trivy", version: "v0.44.0" });
  assert.deepEqual(severityCounts(report.vulnerabilities), { high: 1, low: 2 });
  assert.deepEqual(report.image, {
    digest: "sha256:711103cfce07dc03d61f51e819fad7d6fbbad20fc99caa039cc8da77e7a1c51b",
  });
  const e2fs = report.vulnerabilities?.find((v) => v.id === "CVE-2022-1304");
  assert.ok(e2fs);
  assert.deepEqual(e2fs.cvss, [
    {
      version: "2.0",
      source: "nvd",
      sourceName: "nvd",
      baseScore: 6.8,
      vector: "AV:N/AC:M/Au:N/C:P/I:P/A:P",
    },
    {
      version: "3.1",
      source: "nvd",
      sourceName: "nvd",
      baseScore: 7.8,
      vector: "CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H",
    },
    {
      version: "3.1",
      source: "vendor",
      sourceName: "redhat",
      baseScore: 5.8,
      vector: "CVSS:3.1/AV:L/AC:H/PR:L/UI:N/S:U/C:L/I:L/A:H",
    },
  ]);
  assert.equal(e2fs.url, "https://avd.aquasec.com/nvd/cve-2022-1304");
  assert.equal(e2fs.sources?.[0], "trivy");
  // Two findings on libc6 2.31-13+deb11u3: one package.
  assert.equal(report.packages.length, 2);
});

test("harbor bare report (API body without the wrapper); findings citing two artifacts set no digest", {
  skip: skipWithoutCorpus(`${DIR}/harborapipip.json`),
}, () => {
  const report = parse(`${DIR}/harborapipip.json`);
  assert.deepEqual(severityCounts(report.vulnerabilities), { medium: 1, high: 1 });
  assert.equal(report.image, undefined);
  assert.equal(report.producedAt, "2023-11-16T00:14:12.726Z");
});

test("harbor scan overview in a webhook is refused: a summary is not findings", {
  skip: skipWithoutCorpus(`${WEBHOOKS}/zulip_scanning_completed.json`),
}, () => {
  assert.throws(
    () => parse(`${WEBHOOKS}/zulip_scanning_completed.json`),
    (e: unknown) =>
      isCipError(e) &&
      e.code === "CIP_REPORT_UNSUPPORTED" &&
      // SOURCES.md: total 5, fixable 5 (High 4, Unknown 1), scanner Trivy v0.20.1.
      e.message.includes("total 5; fixable 5; High 4, Unknown 1; scanner Trivy v0.20.1") &&
      e.message.includes("harbor.xxx.xxxx.com/test/alpine/helm:3.8.1") &&
      (e.hint ?? "").includes("additions/vulnerabilities"),
  );
});

test("harbor webhook events without scan results and bare overviews are refused by name", {
  skip: skipWithoutCorpus(`${WEBHOOKS}/zulip_push_image.json`),
}, () => {
  assert.throws(
    () => parse(`${WEBHOOKS}/zulip_push_image.json`),
    (e: unknown) =>
      isCipError(e) &&
      e.code === "CIP_REPORT_UNSUPPORTED" &&
      e.message.includes("PUSH_ARTIFACT webhook event"),
  );
  const overview = {
    "application/vnd.security.vulnerability.report; version=1.1": {
      report_id: "r1",
      scan_status: "Success",
      severity: "Critical",
      summary: { total: 3, fixable: 1, summary: { Critical: 3 } },
    },
  };
  const artifact = { digest: "sha256:abc", scan_overview: overview };
  for (const doc of [overview, artifact]) {
    assert.equal(harborFormat.detect(doc), true);
    assert.throws(
      () => harborFormat.parse(doc, "overview.json"),
      (e: unknown) =>
        isCipError(e) &&
        e.code === "CIP_REPORT_UNSUPPORTED" &&
        e.message.includes("total 3; fixable 1; Critical 3"),
    );
  }
});

test("harbor report with artifact: the image reference and digest it names", () => {
  const report = harborFormat.parse(
    {
      generated_at: "2024-05-01T10:00:00Z",
      artifact: {
        repository: "library/nginx",
        digest: "sha256:1234",
        tag: "1.25",
        mime_type: "application/vnd.oci.image.manifest.v1+json",
      },
      scanner: { name: "Trivy", vendor: "Aqua Security", version: "v0.50.0" },
      severity: "Low",
      vulnerabilities: [
        {
          id: "CVE-2024-1",
          package: "zlib",
          version: "1.2",
          fix_version: "1.3, 1.2.13",
          severity: "Low",
          purl: "pkg:deb/debian/zlib@1.2",
        },
      ],
    },
    "with-artifact.json",
  );
  assert.deepEqual(report.image, { ref: "library/nginx:1.25", digest: "sha256:1234" });
  assert.deepEqual(report.vulnerabilities?.[0]?.fix, { state: "fixed", versions: ["1.3", "1.2.13"] });
  assert.equal(report.vulnerabilities?.[0]?.package.type, "dpkg");
});

test("harbor: broken reports are refused saying where", () => {
  const refuses = (doc: unknown, text: string) =>
    assert.throws(
      () => harborFormat.parse(doc, "bad.json"),
      (e: unknown) => isCipError(e) && e.code === "CIP_REPORT_INVALID" && e.message.includes(text),
    );
  refuses(
    { generated_at: "x", scanner: {}, vulnerabilities: [{ id: "CVE-1" }] },
    ".vulnerabilities[0].package",
  );
  refuses({ generated_at: "x", scanner: {}, vulnerabilities: "none" }, ".vulnerabilities");
  refuses(
    { "application/vnd.x": { scanner: {}, vulnerabilities: [7] } },
    '"application/vnd.x".vulnerabilities[0]',
  );
});

test("harbor: mutated reports give a clear error or a report, never an exception", {
  skip: skipWithoutCorpus(`${DIR}/harbor-trivy-vuln.json`, `${WEBHOOKS}/zulip_scanning_completed.json`),
}, () => {
  const rnd = seededRandom(13);
  for (const file of [
    `${DIR}/harbor-trivy-vuln.json`,
    `${DIR}/harborapipip.json`,
    `${WEBHOOKS}/zulip_scanning_completed.json`,
  ])
    fuzzParser(harborFormat, readCorpusJson(file), file, 200, rnd);
});

test("harbor detection: true for Harbor reports and webhook events, false for every other corpus document", {
  skip: NO_CORPUS,
}, () => {
  const claimed = claimedBy(harborFormat);
  assert.deepEqual(claimed, [
    `${DIR}/harbor-0-vuln.json`,
    `${DIR}/harbor-1-vuln.json`,
    `${DIR}/harbor-5-vuln.json`,
    `${DIR}/harbor-trivy-vuln.json`,
    `${DIR}/harborapipip.json`,
    `${WEBHOOKS}/zulip_delete_image.json`,
    `${WEBHOOKS}/zulip_push_image.json`,
    `${WEBHOOKS}/zulip_scanning_completed.json`,
    `${WEBHOOKS}/zulip_scanning_completed_no_vulnerability.json`,
    `${WEBHOOKS}/zulip_scanning_failed.json`,
  ]);
});
