import assert from "node:assert/strict";
import { test } from "node:test";
import { NO_CORPUS, readCorpusJson, skipWithoutCorpus } from "../../../test/support/corpus.js";
import { claimedBy, fuzzParser, severityCounts } from "../../../test/support/ingest.js";
import { isCipError } from "../../model/index.js";
import { snykFormat } from "./snyk.js";

const DIR = "scanners/snyk";
const CONTAINER = `${DIR}/snykcontainer_issue_9270.json`;
const EPSS = `${DIR}/snykcontainer_issue_epss.json`;
const ALL_PROJECTS = `${DIR}/all_containers_target_output.json`;

function parse(file: string) {
  return snykFormat.parse(readCorpusJson(file), file);
}

test("snyk container: one finding per vulnerability and package, application results included", {
  skip: skipWithoutCorpus(CONTAINER),
}, () => {
  const report = parse(CONTAINER);
  assert.equal(report.format, "snyk");
  assert.deepEqual(report.scanner, { name: "snyk" });
  assert.deepEqual(report.image, { ref: "sarim04/juiceshop:latest" });
  assert.deepEqual(report.distro, { name: "debian", version: "11" });
  assert.deepEqual(report.platform, { os: "linux", architecture: "amd64" });
  const findings = report.vulnerabilities ?? [];
  // SOURCES.md: 25 OS entries, 13 unique, all low. The juice-shop application adds 12 distinct
  // findings (jq over .applications[0].vulnerabilities, unique by [id, packageName, version]).
  const os = findings.filter((v) => v.package.type === "dpkg");
  const app = findings.filter((v) => v.package.type === "npm");
  assert.equal(os.length, 13);
  assert.deepEqual(severityCounts(os), { low: 13 });
  assert.equal(app.length, 12);
  assert.deepEqual(severityCounts(app), { critical: 1, high: 2, medium: 9 });
  assert.equal(findings.length, 25);
  assert.ok(
    report.notes.some((n) => n.includes("37 entries were merged into 25 findings")),
    report.notes.join("\n"),
  );
});

test("snyk container: an OS finding names the source package and its CVE, with Snyk's id as alias", {
  skip: skipWithoutCorpus(CONTAINER),
}, () => {
  const findings = parse(CONTAINER).vulnerabilities ?? [];
  const gcc = findings.find((v) => v.id === "CVE-2023-4039");
  assert.ok(gcc);
  assert.deepEqual(gcc.package, { name: "gcc-10", version: "10.2.1-6", type: "dpkg" });
  assert.deepEqual(gcc.aliases, ["SNYK-DEBIAN11-GCC10-5901313"]);
  assert.deepEqual(gcc.fix, { state: "not-fixed", versions: [] });
  assert.equal(gcc.url, "https://security.snyk.io/vuln/SNYK-DEBIAN11-GCC10-5901313");
  assert.equal(gcc.publishedAt, "2023-09-14T00:54:21.518Z");
  assert.ok(gcc.description?.startsWith("A failure in the -fstack-protector feature"), gcc.description);
  assert.deepEqual(gcc.sources, ["snyk"]);
});

test("snyk container: an application finding has its lockfile location, fix and every CVSS scorer", {
  skip: skipWithoutCorpus(CONTAINER),
}, () => {
  const jwt = (parse(CONTAINER).vulnerabilities ?? []).find((v) => v.package.name === "express-jwt");
  assert.ok(jwt);
  assert.equal(jwt.id, "CVE-2020-15084");
  assert.deepEqual(jwt.aliases, ["SNYK-JS-EXPRESSJWT-575022", "GHSA-6g6m-m6h5-w9gf"]);
  assert.deepEqual(jwt.package, {
    name: "express-jwt",
    version: "0.1.3",
    type: "npm",
    path: "/juice-shop/package.json",
  });
  assert.equal(jwt.severity, "high");
  assert.deepEqual(jwt.fix, { state: "fixed", versions: ["6.0.0"] });
  assert.equal(jwt.description, "Authorization Bypass");
  assert.deepEqual(jwt.cvss, [
    {
      version: "3.1",
      source: "vendor",
      sourceName: "snyk",
      baseScore: 7.4,
      vector: "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:N",
    },
    {
      version: "3.1",
      source: "nvd",
      sourceName: "NVD",
      baseScore: 9.1,
      vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:N",
    },
  ]);
});

test("snyk epss: EPSS score and percentile, and vendor scores named by their assigner", {
  skip: skipWithoutCorpus(EPSS),
}, () => {
  const report = parse(EPSS);
  // One OS entry plus the same 12 application findings as issue_9270.
  assert.equal(report.vulnerabilities?.length, 13);
  const gcc = report.vulnerabilities?.find((v) => v.id === "CVE-2023-4039");
  assert.ok(gcc);
  // DefectDojo asserts the same EPSS figures for this file.
  assert.deepEqual(gcc.epss, { score: 0.00046, percentile: 0.14414 });
  assert.deepEqual(
    gcc.cvss?.map((c) => [c.source, c.sourceName, c.baseScore]),
    [
      ["vendor", "snyk", 4.8],
      ["vendor", "SUSE", 8.1],
      ["nvd", "NVD", 4.8],
      ["vendor", "Red Hat", 4.8],
    ],
  );
  assert.deepEqual(report.notes, []);
});

test("snyk --all-projects array: every project read, dependency paths merged", {
  skip: skipWithoutCorpus(ALL_PROJECTS),
}, () => {
  const report = parse(ALL_PROJECTS);
  // DefectDojo asserts 40 findings (one per entry); merged by [id, packageName, version, targetFile] jq gives 17.
  assert.equal(report.vulnerabilities?.length, 17);
  assert.deepEqual(severityCounts(report.vulnerabilities ?? []), { critical: 1, high: 9, medium: 4, low: 3 });
  assert.ok(report.notes.some((n) => n.includes("40 entries were merged into 17 findings")));
  assert.equal(report.image, undefined);
  const python = report.vulnerabilities?.filter((v) => v.package.type === "python") ?? [];
  assert.ok(python.length > 0);
  for (const v of python) assert.equal(v.package.path, "Mobile-Security-Framework-MobSF/requirements.txt");
  assert.deepEqual([...new Set(report.vulnerabilities?.map((v) => v.package.type))].sort(), [
    "npm",
    "nuget",
    "python",
  ]);
});

test("snyk: an error output and broken entries are refused saying what and where", () => {
  const error = { ok: false, error: "Could not detect supported target files", path: "." };
  assert.equal(snykFormat.detect(error), true);
  assert.throws(
    () => snykFormat.parse(error, "err.json"),
    (e: unknown) =>
      isCipError(e) &&
      e.code === "CIP_REPORT_INVALID" &&
      e.message.includes("Could not detect supported target files"),
  );
  const broken = {
    ok: false,
    packageManager: "deb",
    projectName: "docker-image|x",
    vulnerabilities: [{ id: "SNYK-1", packageName: "a" }],
  };
  assert.throws(
    () => snykFormat.parse(broken, "broken.json"),
    (e: unknown) =>
      isCipError(e) && e.code === "CIP_REPORT_INVALID" && e.message.includes("vulnerabilities[0].version"),
  );
  assert.throws(
    () => snykFormat.parse([], "empty.json"),
    (e: unknown) => isCipError(e) && e.message.includes("no Snyk results"),
  );
});

test("snyk: mutated reports give a clear error or a report, never an exception", {
  skip: skipWithoutCorpus(EPSS),
}, () => {
  fuzzParser(snykFormat, readCorpusJson(EPSS), "mutated.json", 300, 11);
});

test("snyk detection: true for the Snyk corpus files, false for every other corpus document", {
  skip: NO_CORPUS,
}, () => {
  const claimed = claimedBy(snykFormat);
  assert.deepEqual(claimed, [ALL_PROJECTS, CONTAINER, EPSS]);
});
