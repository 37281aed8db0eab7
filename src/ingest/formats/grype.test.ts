import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { readCorpusJson, skipWithoutCorpus } from "../../../test/support/corpus.js";
import { seededRandom } from "../../../test/support/fuzz.js";
import {
  claimedBy,
  corpusFilesWhere,
  findFinding,
  fuzzParser,
  severityCounts,
} from "../../../test/support/ingest.js";
import { CipError } from "../../model/index.js";
import type { ParsedReport } from "../parsed-report.js";
import { grypeFormat } from "./grype.js";

const DOJO = "scanners/grype/defectdojo";
const UPSTREAM = "scanners/grype/upstream";

function parse(relative: string): ParsedReport {
  return grypeFormat.parse(readCorpusJson(relative), relative);
}

describe("Grype JSON", () => {
  test("many_vulns_with_epss_values: 15 matches (Critical 1, High 10, Medium 2, Low 2), EPSS and KEV", {
    skip: skipWithoutCorpus(`${DOJO}/many_vulns_with_epss_values.json`),
  }, () => {
    const report = parse(`${DOJO}/many_vulns_with_epss_values.json`);
    assert.deepEqual(severityCounts(report), { critical: 1, high: 10, medium: 2, low: 2 });
    // The EPSS scores DefectDojo's test lists for this file, in report order.
    assert.deepEqual(
      report.vulnerabilities?.slice(0, 3).map((v) => [v.id, v.epss?.score, v.epss?.percentile]),
      [
        ["CVE-2022-28391", 0.0719, 0.91123],
        ["CVE-2021-28831", 0.00878, 0.74313],
        ["CVE-2022-48174", 0.00451, 0.62761],
      ],
    );
    const first = findFinding(report, "CVE-2022-28391");
    assert.equal(first.epss?.date, "2025-06-18");
    // The DB has the KEV provider, so an absent knownExploited means "not in KEV".
    assert.ok(report.vulnerabilities?.every((v) => v.knownExploited === false));
    assert.deepEqual(first.package, {
      name: "busybox",
      version: "1.32.1",
      type: "binary",
      path: "/bin/[",
      purl: "pkg:generic/busybox@1.32.1",
    });
    assert.deepEqual(first.fix, { state: "unknown", versions: [] });
    assert.deepEqual(
      first.cvss?.map(
        (c) =>
          `${c.source}:${c.sourceName}:${c.version}:${c.baseScore}/${c.exploitabilityScore}/${c.impactScore}`,
      ),
      [
        "nvd:nvd@nist.gov:3.1:8.8/2.9/5.9",
        "nvd:nvd@nist.gov:2.0:6.8/8.6/6.5",
        "vendor:134c704f-9b21-4f2e-91b3-4a467353bcc0:3.1:8.8/2.9/5.9",
      ],
    );
    assert.deepEqual(report.scanner, { name: "grype", version: "0.94.0" });
    assert.equal(report.producedAt, "2025-06-19T11:43:35.523Z");
    assert.equal(report.dbUpdatedAt, "2025-06-19T04:12:38.000Z");
    assert.deepEqual(report.image, {
      ref: "busybox:1.32.1",
      digest: "sha256:ae39a6f5c07297d7ab64dbd4f82c77c874cc6a94cea29fdec309d0992574b4f7",
      imageId: "sha256:388056c9a6838deea3792e8f00705b35b439cf57b3c9c2634fb4e95cfc896de6",
      repoDigests: ["busybox@sha256:ae39a6f5c07297d7ab64dbd4f82c77c874cc6a94cea29fdec309d0992574b4f7"],
    });
    assert.deepEqual(report.config?.cmd, ["sh"], "decoded from the base64 image config");
    assert.deepEqual(report.platform, { os: "linux", architecture: "amd64" });
  });

  test("check_all_fields: 6 matches, 5 findings (the GHSA match repeats; DefectDojo also counts 5)", {
    skip: skipWithoutCorpus(`${DOJO}/check_all_fields.json`),
  }, () => {
    const report = parse(`${DOJO}/check_all_fields.json`);
    assert.equal(report.vulnerabilities?.length, 5);
    assert.ok(report.notes.some((n) => n.startsWith("1 repeated match")));
    const krb = findFinding(report, "CVE-2004-0971");
    assert.equal(krb.severity, "negligible");
    assert.deepEqual(krb.fix, { state: "not-fixed", versions: [] });
    assert.deepEqual(krb.package, {
      name: "libgssapi-krb5-2",
      version: "1.17-3+deb10u3",
      type: "dpkg",
      purl: "pkg:deb/debian/libgssapi-krb5-2@1.17-3+deb10u3?arch=amd64",
    });
    // NVD scores come from relatedVulnerabilities when the match is a distro record.
    assert.deepEqual(
      findFinding(report, "CVE-2021-33574", "libc6").cvss?.map((c) => [c.source, c.version, c.baseScore]),
      [
        ["nvd", "2.0", 7.5],
        ["nvd", "3.1", 9.8],
      ],
    );
    assert.deepEqual(findFinding(report, "CVE-2021-33574", "libc-bin").fix, {
      state: "wont-fix",
      versions: [],
    });
    assert.deepEqual(findFinding(report, "CVE-2021-32626").fix, {
      state: "wont-fix",
      versions: ["fix_1", "fix_2"],
    });
    const django = findFinding(report, "GHSA-v6rh-hp5x-86rv");
    assert.deepEqual(django.aliases, ["CVE-2021-44420"]);
    assert.deepEqual(django.fix, { state: "fixed", versions: ["3.2.10"] });
    assert.equal(django.package.type, "python");
    assert.equal(
      django.package.path,
      "/usr/local/lib/python3.8/site-packages/Django-3.2.9.dist-info/METADATA",
    );
    assert.equal(django.url, "https://github.com/advisories/GHSA-v6rh-hp5x-86rv");
    assert.equal(django.knownExploited, undefined, "grype 0.28 knew no KEV");
    assert.equal(report.dbUpdatedAt, "2021-12-24T08:14:02.000Z");
    assert.deepEqual(report.distro, { name: "debian", version: "10" });
    assert.equal(report.config?.user, "1001");
  });

  test("fix_available and fix_not_available: fixed 1.2.3 vs unknown", {
    skip: skipWithoutCorpus(`${DOJO}/fix_available.json`, `${DOJO}/fix_not_available.json`),
  }, () => {
    assert.deepEqual(parse(`${DOJO}/fix_available.json`).vulnerabilities?.[0]?.fix, {
      state: "fixed",
      versions: ["1.2.3"],
    });
    assert.deepEqual(parse(`${DOJO}/fix_not_available.json`).vulnerabilities?.[0]?.fix, {
      state: "unknown",
      versions: [],
    });
  });

  test("issue_9618: 35 matches, 35 findings (DefectDojo asserts 35); redhat is rhel", {
    skip: skipWithoutCorpus(`${DOJO}/issue_9618.json`),
  }, () => {
    const report = parse(`${DOJO}/issue_9618.json`);
    assert.equal(report.vulnerabilities?.length, 35);
    assert.deepEqual(report.distro, { name: "rhel", version: "8.7", like: ["fedora"] });
    const avro = report.vulnerabilities?.find((v) => v.package.name === "avro");
    assert.equal(avro?.package.type, "java");
    assert.match(avro?.package.path ?? "", /^\/opt\/kafka\/.*avro-1\.\d+\.\d+\.jar$/);
  });

  test("anchore_grype_epss_problem: a GHSA gets the EPSS of its CVE and the CVE as alias", {
    skip: skipWithoutCorpus(`${DOJO}/anchore_grype_epss_problem.json`),
  }, () => {
    const report = parse(`${DOJO}/anchore_grype_epss_problem.json`);
    const v = findFinding(report, "GHSA-4374-p667-p6c8");
    assert.deepEqual(v.epss, { score: 0.00163, percentile: 0.37957, date: "2025-07-20" });
    assert.deepEqual(v.aliases, ["CVE-2023-39325"]);
    assert.deepEqual(v.package.type, "go");
    assert.deepEqual(
      v.cvss?.map((c) => [c.source, c.sourceName]),
      [
        ["vendor", "github:language:go"],
        ["nvd", "nvd@nist.gov"],
      ],
    );
    assert.equal(report.image, undefined, "the report has only matches");
  });

  test("same_cve_different_paths: one OS package, one finding (DefectDojo keys on file path and keeps 2)", {
    skip: skipWithoutCorpus(`${DOJO}/same_cve_different_paths.json`),
  }, () => {
    const report = parse(`${DOJO}/same_cve_different_paths.json`);
    assert.equal(report.vulnerabilities?.length, 1);
    assert.equal(report.vulnerabilities?.[0]?.package.path, undefined);
  });

  test("no_vuln, keycloak-test, chainguard-ruby-test: counts and distros", {
    skip: skipWithoutCorpus(
      `${DOJO}/no_vuln.json`,
      `${UPSTREAM}/keycloak-test.json`,
      `${UPSTREAM}/chainguard-ruby-test.json`,
    ),
  }, () => {
    const empty = parse(`${DOJO}/no_vuln.json`);
    assert.deepEqual(empty.vulnerabilities, []);
    assert.deepEqual(empty.notes, []);
    assert.equal(empty.scanner.version, "0.7.0");
    const keycloak = parse(`${UPSTREAM}/keycloak-test.json`);
    assert.deepEqual(severityCounts(keycloak), { low: 6 });
    assert.deepEqual(keycloak.distro, { name: "rhel", version: "9.1", like: ["fedora"] });
    const ruby = parse(`${UPSTREAM}/chainguard-ruby-test.json`);
    assert.deepEqual(severityCounts(ruby), { high: 3 });
    assert.deepEqual(ruby.distro, { name: "wolfi", version: "20221118" });
    assert.deepEqual(ruby.platform, { os: "linux", architecture: "arm64" });
  });
});

describe("Grype detection and broken documents", () => {
  test("true for every Grype report in the corpus, false for every other corpus file", {
    skip: skipWithoutCorpus("scanners/grype"),
  }, () => {
    assert.deepEqual(
      claimedBy(grypeFormat),
      corpusFilesWhere((relative) => relative.startsWith("scanners/grype/")),
    );
  });

  const cases: [string, unknown, RegExp][] = [
    [
      "matches not a list",
      { matches: {}, descriptor: { name: "grype" } },
      /expected an array, got an object \(at \$\.matches\)/,
    ],
    ["a match not an object", { matches: [1] }, /expected an object, got a number \(at \$\.matches\[0\]\)/],
    [
      "no vulnerability",
      { matches: [{ artifact: { name: "x" } }] },
      /a required object is missing \(at \$\.matches\[0\]\.vulnerability\)/,
    ],
    [
      "no vulnerability id",
      { matches: [{ vulnerability: {}, artifact: { name: "x" } }] },
      /a required string is missing \(at \$\.matches\[0\]\.vulnerability\.id\)/,
    ],
    [
      "no artifact name",
      { matches: [{ vulnerability: { id: "CVE-1" }, artifact: { name: [] } }] },
      /expected a string, got an array \(at \$\.matches\[0\]\.artifact\.name\)/,
    ],
    [
      "source not an object",
      { matches: [], source: "image" },
      /expected an object, got a string \(at \$\.source\)/,
    ],
  ];
  for (const [name, document, message] of cases) {
    test(`${name}: CIP_REPORT_INVALID naming the place`, () => {
      assert.throws(
        () => grypeFormat.parse(document, "bad.json"),
        (e: unknown) => e instanceof CipError && e.code === "CIP_REPORT_INVALID" && message.test(e.message),
      );
    });
  }

  test("mutated corpus reports: a result or a CipError, never another exception", {
    skip: skipWithoutCorpus(`${DOJO}/check_all_fields.json`),
  }, () => {
    const rnd = seededRandom(11);
    for (const relative of [`${DOJO}/check_all_fields.json`, `${DOJO}/many_vulns_with_epss_values.json`])
      fuzzParser(grypeFormat, readCorpusJson(relative), relative, 150, rnd);
  });
});
