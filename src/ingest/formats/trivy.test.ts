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
import { trivyFormat } from "./trivy.js";

const DOJO = "scanners/trivy/defectdojo";
const UPSTREAM = "scanners/trivy/upstream";

function parse(relative: string): ParsedReport {
  return trivyFormat.parse(readCorpusJson(relative), relative);
}

describe("Trivy legacy list format", () => {
  test("legacy_many_vulns: 93 findings, HIGH 18, MEDIUM 9, LOW 65, UNKNOWN 1 (SOURCES.md)", {
    skip: skipWithoutCorpus(`${DOJO}/legacy_many_vulns.json`),
  }, () => {
    const report = parse(`${DOJO}/legacy_many_vulns.json`);
    assert.equal(report.vulnerabilities?.length, 93);
    assert.deepEqual(severityCounts(report), { high: 18, medium: 9, low: 65, unknown: 1 });
    assert.deepEqual(report.distro, { name: "debian", version: "10.8" });
    assert.equal(report.scanner.name, "trivy");
    const apt = findFinding(report, "CVE-2011-3374", "apt");
    assert.deepEqual(apt.package, { name: "apt", version: "1.8.2.2", type: "dpkg" });
    assert.equal(apt.severity, "low");
    // No Status and no FixedVersion: what newer Trivy calls "affected".
    assert.deepEqual(apt.fix, { state: "not-fixed", versions: [] });
    assert.deepEqual(apt.cvss, [
      {
        version: "2.0",
        source: "nvd",
        sourceName: "nvd",
        baseScore: 4.3,
        vector: "AV:N/AC:M/Au:N/C:N/I:P/A:N",
      },
      {
        version: "3.1",
        source: "nvd",
        sourceName: "nvd",
        baseScore: 3.7,
        vector: "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:L/A:N",
      },
    ]);
    assert.equal(apt.publishedAt, "2019-11-26T00:15:00Z");
    assert.equal(apt.url, "https://avd.aquasec.com/nvd/cve-2011-3374");
    assert.deepEqual(apt.sources, ["trivy"]);
  });

  test("legacy_no_vuln: the literal null is an empty Trivy report with a note", {
    skip: skipWithoutCorpus(`${DOJO}/legacy_no_vuln.json`),
  }, () => {
    const document = readCorpusJson(`${DOJO}/legacy_no_vuln.json`);
    assert.equal(document, null);
    assert.equal(trivyFormat.detect(document), true);
    const report = trivyFormat.parse(document, "legacy_no_vuln.json");
    assert.deepEqual(report.vulnerabilities, []);
    assert.deepEqual(report.packages, []);
    assert.match(report.notes.join("\n"), /JSON value null.*no vulnerabilities/);
  });

  test("legacy_trivy_mix: lockfile findings carry the lockfile as path; the entry without an id is skipped with a note", {
    skip: skipWithoutCorpus(`${DOJO}/legacy_trivy_mix.json`),
  }, () => {
    const report = parse(`${DOJO}/legacy_trivy_mix.json`);
    // SOURCES.md counts 7 raw entries; one of them is only {"PkgName": "simplito/elliptic-php"}.
    assert.equal(report.vulnerabilities?.length, 6);
    assert.match(
      report.notes.join("\n"),
      /1 vulnerability entry without VulnerabilityID or PkgName skipped \(\$\[0\]\.Vulnerabilities\[0\]\)/,
    );
    const lodash = findFinding(report, "CVE-2018-16487", "lodash");
    assert.deepEqual(lodash.package, {
      name: "lodash",
      version: "4.17.4",
      type: "npm",
      path: "node-app/package-lock.json",
    });
    assert.deepEqual(lodash.fix, { state: "fixed", versions: [">=4.17.11"] });
    assert.deepEqual(report.distro, { name: "alpine", version: "3.7.1" });
  });
});

describe("Trivy SchemaVersion 2", () => {
  test("scheme_2_many_vulns: 5 findings (CRITICAL 1, HIGH 1, MEDIUM 3, counted with jq over .Results[].Vulnerabilities[].Severity)", {
    skip: skipWithoutCorpus(`${DOJO}/scheme_2_many_vulns.json`),
  }, () => {
    const report = parse(`${DOJO}/scheme_2_many_vulns.json`);
    assert.deepEqual(severityCounts(report), { critical: 1, high: 1, medium: 3 });
    assert.deepEqual(report.image, { ref: "teamdojo:latest" });
    assert.deepEqual(report.distro, { name: "alpine", version: "3.9.4" });
    const compress = findFinding(report, "CVE-2018-1324", "org.apache.commons:commons-compress");
    assert.equal(compress.package.type, "java");
    assert.deepEqual(compress.fix, { state: "fixed", versions: ["1.16"] });
  });

  test("scheme_2_no_vuln: no findings, the image and distro still known", {
    skip: skipWithoutCorpus(`${DOJO}/scheme_2_no_vuln.json`),
  }, () => {
    const report = parse(`${DOJO}/scheme_2_no_vuln.json`);
    assert.deepEqual(report.vulnerabilities, []);
    assert.deepEqual(report.image, { ref: "trivy-unittest:latest" });
    assert.deepEqual(report.distro, { name: "alpine", version: "3.14.0" });
  });

  test("all_statuses: every Trivy Status value onto a fix state", {
    skip: skipWithoutCorpus(`${DOJO}/all_statuses.json`),
  }, () => {
    const report = parse(`${DOJO}/all_statuses.json`);
    assert.equal(report.vulnerabilities?.length, 8);
    const states = Object.fromEntries(report.vulnerabilities?.map((v) => [v.id, v.fix.state]) ?? []);
    assert.deepEqual(states, {
      "CVE-2011-3374": "unknown",
      "CVE-2019-18276": "unknown",
      "TEMP-0841856-B18BAF": "not-fixed",
      "CVE-2018-1000876": "fixed",
      "CVE-2018-12697": "unknown",
      "CVE-2018-12698": "wont-fix",
      "CVE-2018-12699": "not-fixed",
      "CVE-2018-12934": "end-of-life",
    });
    // "fixed" without a FixedVersion: a fix exists, its version is not named.
    assert.deepEqual(findFinding(report, "CVE-2018-1000876").fix.versions, []);
    assert.equal(
      report.image?.imageId,
      "sha256:22ae3921bdaac434bb4cb92dbbc209e46b1f3f70e9fa0b5fbbb43ce7d452c72d",
    );
    assert.equal(report.image?.ref, undefined, "ArtifactName and RepoTags are empty in this report");
    assert.equal(report.producedAt, "2024-01-15T08:58:29.827Z");
    assert.deepEqual(report.platform, { os: "linux", architecture: "amd64" });
    const redhat = findFinding(report, "CVE-2019-18276").cvss?.find((c) => c.sourceName === "redhat");
    assert.equal(redhat?.source, "vendor");
  });

  test("issue_9333: 13 findings, LOW 12 and MEDIUM 1 (SOURCES.md)", {
    skip: skipWithoutCorpus(`${DOJO}/issue_9333.json`),
  }, () => {
    assert.deepEqual(severityCounts(parse(`${DOJO}/issue_9333.json`)), { low: 12, medium: 1 });
  });

  test("cvssv4_severity_source: CVSS 4.0 from the vector, vendor sources, comma-separated fixed versions", {
    skip: skipWithoutCorpus(`${DOJO}/cvssv4_severity_source.json`),
  }, () => {
    const report = parse(`${DOJO}/cvssv4_severity_source.json`);
    assert.equal(report.scanner.version, "0.69.1");
    assert.equal(report.image, undefined, "a filesystem scan is not about an image");
    assert.match(report.notes[0] ?? "", /filesystem \(lib\/catalina\.jar\), not an image/);
    const v = findFinding(report, "CVE-2025-66614");
    assert.equal(v.severity, "medium");
    assert.deepEqual(v.fix, { state: "fixed", versions: ["11.0.14", "10.1.49", "9.0.112"] });
    assert.deepEqual(v.package, {
      name: "org.apache.tomcat:tomcat-catalina",
      version: "9.0.109",
      type: "java",
      path: "catalina.jar",
      purl: "pkg:maven/org.apache.tomcat/tomcat-catalina@9.0.109",
    });
    assert.deepEqual(v.cvss, [
      {
        version: "4.0",
        source: "vendor",
        sourceName: "ghsa",
        baseScore: 6.3,
        vector: "CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:N/VC:L/VI:L/VA:N/SC:N/SI:N/SA:N",
      },
      {
        version: "3.1",
        source: "vendor",
        sourceName: "redhat",
        baseScore: 5.3,
        vector: "CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:H/I:N/A:N",
      },
    ]);
    assert.deepEqual(report.packages, [
      {
        name: "org.apache.tomcat:tomcat-catalina",
        version: "9.0.109",
        type: "java",
        path: "catalina.jar",
        purl: "pkg:maven/org.apache.tomcat/tomcat-catalina@9.0.109",
      },
    ]);
  });

  test("severity_prio: the severity Trivy chose is kept per result", {
    skip: skipWithoutCorpus(`${DOJO}/severity_prio.json`),
  }, () => {
    const report = parse(`${DOJO}/severity_prio.json`);
    assert.equal(findFinding(report, "CVE-2023-46218", "curl").severity, "low");
    assert.equal(findFinding(report, "CVE-2023-37920", "certifi").severity, "critical");
    assert.equal(findFinding(report, "CVE-2023-37920", "certifi").fix.state, "fixed");
  });

  test("misconfigurations_and_secrets: secrets become secret findings, misconfigurations a note (DefectDojo's 5 = 2 + 1 + 2)", {
    skip: skipWithoutCorpus(`${DOJO}/misconfigurations_and_secrets.json`),
  }, () => {
    const report = parse(`${DOJO}/misconfigurations_and_secrets.json`);
    assert.equal(report.vulnerabilities?.length, 2);
    assert.deepEqual(report.secrets, [
      { regexName: "github-pat", path: "Dockerfile", line: 24 },
      { regexName: "github-pat", path: "secret.txt", line: 1 },
    ]);
    assert.ok(
      report.notes.includes("Trivy found 1 misconfiguration (HIGH 1), 22 checks passed; not modelled."),
    );
  });

  test("license_scheme: 19 license findings become one note (DefectDojo asserts 19 findings)", {
    skip: skipWithoutCorpus(`${DOJO}/license_scheme.json`),
  }, () => {
    const report = parse(`${DOJO}/license_scheme.json`);
    // A license-only scan looked at no packages for vulnerabilities: no data, not "nothing found"
    assert.equal(report.vulnerabilities, undefined);
    assert.match(report.notes[0] ?? "", /^Trivy scanned no packages .* no vulnerability data/);
    assert.ok(
      report.notes.includes("Trivy found 19 license findings (HIGH 7, MEDIUM 1, LOW 11); not modelled."),
    );
    assert.deepEqual(report.image, {
      ref: "alpine:3.11",
      digest: "sha256:bcae378eacedab83da66079d9366c8f5df542d7ed9ab23bf487e3e1a8481375d",
      imageId: "sha256:a787cb9865032e5b5a407ecdf34b57a23a4a076aaa043d71742ddb6726ec9229",
      repoDigests: ["alpine@sha256:bcae378eacedab83da66079d9366c8f5df542d7ed9ab23bf487e3e1a8481375d"],
    });
  });

  test("alpine-310 (Trivy's golden): image, config, layers, CVSS per source", {
    skip: skipWithoutCorpus(`${UPSTREAM}/alpine-310.json`),
  }, () => {
    const report = parse(`${UPSTREAM}/alpine-310.json`);
    assert.equal(report.vulnerabilities?.length, 4);
    assert.deepEqual(report.image, {
      ref: "ghcr.io/aquasecurity/trivy-test-images:alpine-310",
      imageId: "sha256:961769676411f082461f9ef46626dd7a2d1e2b2a38e6a44364bcbecf51e66dd4",
    });
    assert.deepEqual(report.scanner, { name: "trivy", version: "dev" });
    assert.equal(report.dbUpdatedAt, undefined, "Trivy reports do not say when their DB was built");
    assert.deepEqual(report.config, {
      env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
      cmd: ["/bin/sh"],
      created: "2019-08-20T20:19:55.211Z",
    });
    assert.deepEqual(report.layers, [
      { digest: "sha256:9d48c3bd43c520dc2784e868a780e976b207cbf493eaff8c6596eb871cbd9609", size: 5843968 },
    ]);
    const v = findFinding(report, "CVE-2019-1549", "libcrypto1.1");
    assert.equal(v.package.purl, "pkg:apk/alpine/libcrypto1.1@1.1.1c-r0?arch=x86_64&distro=3.10.2");
    assert.equal(v.package.type, "apk");
    assert.deepEqual(
      v.cvss?.map((c) => `${c.source}:${c.sourceName}:${c.version}:${c.baseScore}`),
      ["nvd:nvd:2.0:5", "nvd:nvd:3.1:5.3", "vendor:redhat:3.0:4.8"],
    );
    assert.equal(v.description, "openssl: information disclosure in fork()");
  });

  test("os-release ids and versions from Trivy's OS families", {
    skip: skipWithoutCorpus(
      `${UPSTREAM}/amazon-2.json`,
      `${UPSTREAM}/ubi-7.json`,
      `${UPSTREAM}/opensuse-leap-151.json`,
    ),
  }, () => {
    assert.deepEqual(parse(`${UPSTREAM}/amazon-2.json`).distro, { name: "amzn", version: "2" });
    assert.deepEqual(parse(`${UPSTREAM}/ubi-7.json`).distro, { name: "rhel", version: "7.7" });
    assert.deepEqual(parse(`${UPSTREAM}/opensuse-leap-151.json`).distro, {
      name: "opensuse-leap",
      version: "15.1",
    });
  });

  test("spring4shell-jre11: language packages get absolute image paths; custom resources are noted", {
    skip: skipWithoutCorpus(`${UPSTREAM}/spring4shell-jre11.json`),
  }, () => {
    const report = parse(`${UPSTREAM}/spring4shell-jre11.json`);
    const beans = report.vulnerabilities?.find((v) => v.package.name === "org.springframework:spring-beans");
    assert.equal(
      beans?.package.path,
      "/usr/local/tomcat/webapps/helloworld.war/WEB-INF/lib/spring-beans-5.3.15.jar",
    );
    assert.ok(report.notes.includes("Trivy reported 2 custom resources; not modelled."));
  });

  test("secrets (Trivy's golden): RuleID as regex name, Target as path", {
    skip: skipWithoutCorpus(`${UPSTREAM}/secrets.json`),
  }, () => {
    const report = parse(`${UPSTREAM}/secrets.json`);
    assert.deepEqual(report.secrets, [
      { regexName: "aws-access-key-id", path: "deploy.sh", line: 3 },
      { regexName: "mysecret", path: "deploy.sh", line: 7 },
    ]);
  });
});

describe("Trivy detection", () => {
  test("true for every Trivy JSON report in the corpus, false for every other corpus file", {
    skip: skipWithoutCorpus("scanners/trivy"),
  }, () => {
    const expected = (relative: string) =>
      relative.startsWith("scanners/trivy/") && !/sarif|gitlab|kubernetes\.json|issue_10991/.test(relative);
    assert.deepEqual(claimedBy(trivyFormat), corpusFilesWhere(expected));
  });

  test("false for JSON that merely resembles it", () => {
    for (const document of [
      [],
      [1],
      {},
      { SchemaVersion: "2" },
      { ClusterName: "x", Resources: [] },
      "null",
      0,
    ]) {
      assert.equal(trivyFormat.detect(document), false, JSON.stringify(document));
    }
  });
});

describe("Trivy broken documents", () => {
  const cases: [string, unknown, RegExp][] = [
    [
      "Results not a list",
      { SchemaVersion: 2, ArtifactName: "x", Results: "many" },
      /expected an array, got a string \(at \$\.Results\)/,
    ],
    [
      "a result not an object",
      { SchemaVersion: 2, Results: [5] },
      /expected an object, got a number \(at \$\.Results\[0\]\)/,
    ],
    [
      "Vulnerabilities not a list",
      { SchemaVersion: 2, Results: [{ Target: "x", Vulnerabilities: {} }] },
      /expected an array, got an object \(at \$\.Results\[0\]\.Vulnerabilities\)/,
    ],
    [
      "a vulnerability not an object",
      [{ Target: "x", Vulnerabilities: [null] }],
      /expected an object, got null \(at \$\[0\]\.Vulnerabilities\[0\]\)/,
    ],
    [
      "Metadata not an object",
      { SchemaVersion: 2, Metadata: [] },
      /expected an object, got an array \(at \$\.Metadata\)/,
    ],
  ];
  for (const [name, document, message] of cases) {
    test(`${name}: CIP_REPORT_INVALID naming the place`, () => {
      assert.throws(
        () => trivyFormat.parse(document, "bad.json"),
        (e: unknown) => e instanceof CipError && e.code === "CIP_REPORT_INVALID" && message.test(e.message),
      );
    });
  }

  test("mutated corpus reports: a result or a CipError, never another exception", {
    skip: skipWithoutCorpus(`${DOJO}/all_statuses.json`, `${DOJO}/legacy_trivy_mix.json`),
  }, () => {
    const rnd = seededRandom(3);
    for (const relative of [
      `${DOJO}/all_statuses.json`,
      `${DOJO}/legacy_trivy_mix.json`,
      `${UPSTREAM}/secrets.json`,
    ])
      fuzzParser(trivyFormat, readCorpusJson(relative), relative, 150, rnd);
  });
});
