import assert from "node:assert/strict";
import { test } from "node:test";
import { NO_CORPUS, readCorpusJson, skipWithoutCorpus } from "../../../test/support/corpus.js";
import { seededRandom } from "../../../test/support/fuzz.js";
import { claimedBy, findFinding, fuzzParser, severityCounts } from "../../../test/support/ingest.js";
import { isCipError } from "../../model/index.js";
import { twistlockFormat } from "./twistlock.js";

const DIR = "scanners/twistlock";

function parse(file: string) {
  return twistlockFormat.parse(readCorpusJson(`${DIR}/${file}`), file);
}

test("twistlock many_vulns: 5 findings, the compliance issue as a note", {
  skip: skipWithoutCorpus(`${DIR}/many_vulns.json`),
}, () => {
  const report = parse("many_vulns.json");
  // SOURCES.md: 5 vulns + 1 compliance issue (DefectDojo counts both: 6 findings).
  assert.equal(report.vulnerabilities?.length, 5);
  assert.deepEqual(severityCounts(report), { critical: 1, high: 2, low: 2 });
  assert.deepEqual(report.notes, ["Twistlock: 1 compliance issue (high 1)"]);
  assert.deepEqual(report.distro, { name: "debian", version: "9" });
  assert.deepEqual(report.image, {
    imageId: "sha256:f4c0503d26c8da0a04e6190c9d4f2a30f38958852b9fb80bcd2b819a7571e7f7",
  });
  assert.deepEqual(
    report.packages.map((p) => [p.name, p.type]),
    [
      ["mawk", "dpkg"],
      ["dpkg", "dpkg"],
      ["wsgiref", "python"],
    ],
  );
});

test("twistlock many_vulns: source package without its binary list, CVSS source from the link", {
  skip: skipWithoutCorpus(`${DIR}/many_vulns.json`),
}, () => {
  const list = parse("many_vulns.json").vulnerabilities;
  const glibc = findFinding(list, "CVE-2018-6485");
  assert.deepEqual(glibc.package, { name: "glibc", version: "2.24-11+deb9u4", type: "dpkg" });
  assert.deepEqual(glibc.fix, { state: "not-fixed", versions: [] });
  assert.equal(glibc.url, "https://security-tracker.debian.org/tracker/CVE-2018-6485");
  assert.deepEqual(glibc.cvss, [
    {
      version: "3.0",
      source: "vendor",
      sourceName: "twistlock",
      baseScore: 9.8,
      vector: "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
    },
  ]);
  const pycrypto = findFinding(list, "CVE-2013-7459");
  // Not among the listed packages and not an OS source package: the type is not known.
  assert.deepEqual(pycrypto.package, { name: "pycrypto", version: "2.6.1", type: "unknown" });
  assert.equal(pycrypto.cvss?.[0]?.source, "nvd");
  assert.deepEqual(pycrypto.fix, { state: "unknown", versions: [] });
  // An HTML fragment with no text is no description.
  assert.equal(findFinding(list, "CVE-2019-6465").description, undefined);
});

test("twistlock packagename: 'fixed in' versions, dates, path and the scanned image", {
  skip: skipWithoutCorpus(`${DIR}/packagename.json`),
}, () => {
  const report = parse("packagename.json");
  assert.deepEqual(report.image, {
    ref: "some-docker-image",
    digest: "sha256:f7b40a71d2d16e91c35d32b10dbadab5ee8c1575b5216dedb11c841bed42eb0b",
    imageId: "sha256:d9ec03301ac4f89e5e9564cc2979b7b00848f2cb4bb95e59f020a3bedb74bd07",
  });
  assert.deepEqual(report.distro, { name: "rocky", version: "9.5" });
  assert.equal(report.producedAt, "2026-03-18T10:58:13.491Z");
  const cxf = findFinding(report.vulnerabilities, "CVE-2025-48913");
  assert.deepEqual(cxf.package, {
    name: "org.apache.cxf_cxf-core",
    version: "3.5.11",
    type: "java",
    path: "/opt/vendor/component-kit/libs/cxf-core-3.5.11.jar",
  });
  assert.deepEqual(cxf.fix, { state: "fixed", versions: ["4.1.3", "4.0.9", "3.6.8"] });
  assert.equal(cxf.severity, "critical");
  assert.equal(cxf.cvss?.[0]?.version, "3.1");
  assert.equal(cxf.publishedAt, "2025-08-08T10:15:25.000Z");
  assert.equal(cxf.detectedAt, "2026-03-18T10:58:10.000Z");
  assert.equal(cxf.fixAvailableAt, "2025-08-14T23:20:06.000Z");
  assert.deepEqual(report.packages, [
    { name: "python", version: "3.9.21", type: "binary", path: "/usr/bin/python3.9" },
    { name: "java", version: "17.0.12", type: "binary", path: "/usr/lib/jvm/jdk-17.0.12+7/bin/java" },
  ]);
});

test("twistlock no_cvss: findings without CVSS keep the scanner's severity; package licenses and paths", {
  skip: skipWithoutCorpus(`${DIR}/no_cvss.json`),
}, () => {
  const report = parse("no_cvss.json");
  assert.deepEqual(report.image?.ref, "somename:v8.11");
  assert.deepEqual(report.distro, { name: "debian", version: "12" });
  const dpkg = findFinding(report.vulnerabilities, "CVE-2025-6297");
  assert.equal(dpkg.severity, "low");
  assert.equal(dpkg.cvss, undefined);
  assert.deepEqual(dpkg.package, { name: "dpkg", version: "1.21.22", type: "unknown" });
  assert.deepEqual(dpkg.fix, { state: "not-fixed", versions: [] });
  assert.deepEqual(findFinding(report.vulnerabilities, "CVE-2025-1390").fix, {
    state: "fixed",
    versions: ["1:2.66-4+deb12u1"],
  });
  assert.deepEqual(report.packages, [
    { name: "bash", version: "5.2.15-2", type: "dpkg", licenses: ["GPL-3+"] },
    {
      name: "inflect",
      version: "7.3.1",
      type: "python",
      path: "/usr/local/lib/python3.13/site-packages/setuptools/_vendor/inflect-7.3.1.dist-info",
    },
  ]);
  assert.deepEqual(report.notes, ["Twistlock: 1 compliance issue (medium 1)"]);
});

test("twistlock one_vuln_no_link_no_description and no_vuln", {
  skip: skipWithoutCorpus(`${DIR}/one_vuln_no_link_no_description.json`, `${DIR}/no_vuln.json`),
}, () => {
  const prisma = findFinding(
    parse("one_vuln_no_link_no_description.json").vulnerabilities,
    "PRISMA-2021-0013",
  );
  assert.equal(prisma.severity, "medium");
  assert.deepEqual(prisma.fix, { state: "fixed", versions: ["1.1.1"] });
  assert.equal(prisma.url, undefined);
  assert.equal(prisma.description, undefined);
  const clean = parse("no_vuln.json");
  assert.deepEqual(clean.vulnerabilities, []);
  assert.equal(clean.distro, undefined);
  assert.deepEqual(clean.notes, []);
});

test("twistlock: broken documents are refused saying where", () => {
  const refuses = (doc: unknown, text: string) =>
    assert.throws(
      () => twistlockFormat.parse(doc, "bad.json"),
      (e: unknown) => isCipError(e) && e.code === "CIP_REPORT_INVALID" && e.message.includes(text),
    );
  refuses({ results: [] }, "no scanned image");
  refuses(
    { results: [{ distro: "", vulnerabilities: [{ id: "CVE-1", packageVersion: "1" }] }] },
    "results[0].vulnerabilities[0].packageName",
  );
  refuses({ results: [{ distro: "", vulnerabilities: {} }] }, "results[0].vulnerabilities");
});

test("twistlock: mutated reports give a clear error or a report, never an exception", {
  skip: skipWithoutCorpus(`${DIR}/packagename.json`, `${DIR}/no_cvss.json`),
}, () => {
  const rnd = seededRandom(12);
  for (const file of ["packagename.json", "no_cvss.json", "many_vulns.json"])
    fuzzParser(twistlockFormat, readCorpusJson(`${DIR}/${file}`), file, 200, rnd);
});

test("twistlock detection: true for the twistcli JSON files, false for every other corpus document", {
  skip: NO_CORPUS,
}, () => {
  const claimed = claimedBy(twistlockFormat);
  // The CSV exports beside them are not JSON: the reader refuses them before detection.
  assert.deepEqual(
    claimed,
    [
      "findings_include_packages.json",
      "many_vulns.json",
      "no_cvss.json",
      "no_vuln.json",
      "one_vuln.json",
      "one_vuln_no_link_no_description.json",
      "packagename.json",
    ].map((f) => `${DIR}/${f}`),
  );
});
