import assert from "node:assert/strict";
import { test } from "node:test";
import { readCorpusJson, skipWithoutCorpus } from "../../../test/support/corpus.js";
import { severityCounts } from "../../../test/support/ingest.js";
import type { ParsedReport } from "../parsed-report.js";
import { anchoreVulnFormat, splitPackage } from "./anchore.js";

const DIR = "scanners/anchore-engine";
const ENGINE_MANY = `${DIR}/vuln/many_vulns.json`;
const ENGINE_ONE = `${DIR}/vuln/one_vuln.json`;
const ENGINE_NONE = `${DIR}/vuln/no_vuln.json`;
const MANY_FILES = `${DIR}/vuln/one_vuln_many_files.json`;
const ENTERPRISE = `${DIR}/vuln/many_vulns_2.4.1.json`;
const CTL_MANY = `${DIR}/vuln/anchorectl_many_vulns.json`;
const CTL_ONE = `${DIR}/vuln/anchorectl_one_vuln.json`;
const CTL_NONE = `${DIR}/vuln/anchorectl_no_vuln.json`;
const NEW_FORMAT = `${DIR}/vuln/new_format_issue_11552.json`;
const GRYPE_DEBIAN = `${DIR}/policy-engine-vulns/grype_debian-test.json`;
const LEGACY_DEBIAN = `${DIR}/policy-engine-vulns/legacy_debian-test.json`;
const GRYPE_ALPINE = `${DIR}/policy-engine-vulns/grype_alpine-test.json`;

function parse(path: string): ParsedReport {
  const doc = readCorpusJson(path);
  assert.ok(anchoreVulnFormat.detect(doc), `${path} should be detected`);
  return anchoreVulnFormat.parse(doc, path);
}

function fixedCount(report: ParsedReport): number {
  return (report.vulnerabilities ?? []).filter((v) => v.fix.state === "fixed").length;
}

// Severity and fix counts below: jq '[(.vulnerabilities // .)[] | .severity] | group_by(.) | map({(.[0]): length}) | add'
// and jq '[… | select(.fix != "None")] | length' over each file.

test("anchore-cli image vuln all: 23 findings (DefectDojo asserts 23)", {
  skip: skipWithoutCorpus(ENGINE_MANY),
}, () => {
  const report = parse(ENGINE_MANY);
  assert.equal(report.vulnerabilities?.length, 23);
  assert.deepEqual(severityCounts(report), {
    negligible: 4,
    medium: 11,
    low: 1,
    high: 5,
    unknown: 1,
    critical: 1,
  });
  assert.equal(fixedCount(report), 8);
  assert.equal(report.image?.digest, `sha256:${"x".repeat(64)}`);
  const jersey = report.vulnerabilities?.find((v) => v.id === "VULNDB-103881");
  assert.deepEqual(jersey?.package, {
    name: "jersey",
    version: "1.13",
    type: "java",
    path: "/usr/share/myapp/myapp.war:sources/jersey-apache-client-1.13-sources-jar/jersey-apache-client-1.13-sources.jar",
  });
  // Vendor (VulnDB) score: v2 only, its v3 of -1 means none.
  assert.deepEqual(jersey?.cvss, [
    {
      version: "2.0",
      source: "vendor",
      sourceName: "vulndb:vulnerabilities",
      baseScore: 5,
      exploitabilityScore: 10,
      impactScore: 2.9,
    },
  ]);
  assert.deepEqual(jersey?.fix, { state: "fixed", versions: ["1.18"] });
  // The same VulnDB entry in three jars: one finding per location.
  assert.equal(report.vulnerabilities?.filter((v) => v.id === "VULNDB-103881").length, 3);
});

test("anchore-cli one vuln and no vuln", { skip: skipWithoutCorpus(ENGINE_ONE, ENGINE_NONE) }, () => {
  assert.deepEqual(parse(ENGINE_ONE).vulnerabilities, [
    {
      id: "CVE-2011-3389",
      package: { name: "libgnutls30", version: "3.5.8-5+deb9u4", type: "dpkg" },
      severity: "medium",
      fix: { state: "not-fixed", versions: [] },
      url: "https://security-tracker.debian.org/tracker/CVE-2011-3389",
      sources: ["anchore"],
    },
  ]);
  const none = parse(ENGINE_NONE);
  assert.deepEqual(none.vulnerabilities, []);
  assert.deepEqual(none.packages, []);
});

test("one vulnerability in four nested jars: four findings", { skip: skipWithoutCorpus(MANY_FILES) }, () => {
  const report = parse(MANY_FILES);
  assert.deepEqual(
    report.vulnerabilities?.map((v) => `${v.id} ${v.package.name}@${v.package.version} ${v.severity}`),
    Array(4).fill("CVE-2005-3906 jdk@1.4 high"),
  );
  assert.equal(new Set(report.vulnerabilities?.map((v) => v.package.path)).size, 4);
});

test("Anchore Enterprise 2.4.1: 51 rpm findings (High 3, Medium 34, Low 14)", {
  skip: skipWithoutCorpus(ENTERPRISE),
}, () => {
  const report = parse(ENTERPRISE);
  assert.equal(report.vulnerabilities?.length, 51);
  assert.deepEqual(severityCounts(report), { medium: 34, low: 14, high: 3 });
  assert.equal(fixedCount(report), 0);
  assert.deepEqual(report.image, {
    ref: "registry1.dsop.io/ironbank-staging/cloudbees/core/agent:152299",
    digest: "sha256:e010a676dba57f2110960b4e81a1d9098585ed6a8ac79e8c4a552ba4018d1674",
  });
  // DefectDojo checks the last finding: CVE-2020-13776 in systemd-pam 239-41.el8_3.1, CVSS v3 6.7.
  const last = report.vulnerabilities?.[50];
  assert.equal(last?.id, "CVE-2020-13776");
  assert.deepEqual(last?.package, { name: "systemd-pam", version: "239-41.el8_3.1", type: "rpm" });
  // `extra.nvd_data` gives the vectors and exact versions of the NVD scores.
  assert.deepEqual(last?.cvss, [
    {
      version: "2.0",
      source: "nvd",
      sourceName: "nvd",
      baseScore: 6.2,
      exploitabilityScore: 1.9,
      impactScore: 10,
      vector: "AV:L/AC:H/Au:N/C:C/I:C/A:C",
    },
    {
      version: "3.1",
      source: "nvd",
      sourceName: "nvd",
      baseScore: 6.7,
      exploitabilityScore: 0.8,
      impactScore: 5.9,
      vector: "CVSS:3.1/AV:L/AC:H/PR:L/UI:R/S:U/C:H/I:H/A:H",
    },
  ]);
  assert.match(last?.description ?? "", /^systemd through v245 mishandles numerical usernames/);
});

test("anchorectl rows (camelCase): the same 23 findings; one with a description", {
  skip: skipWithoutCorpus(CTL_MANY, CTL_ONE),
}, () => {
  const many = parse(CTL_MANY);
  assert.equal(many.vulnerabilities?.length, 23);
  assert.deepEqual(severityCounts(many), {
    negligible: 4,
    medium: 11,
    low: 1,
    high: 5,
    unknown: 1,
    critical: 1,
  });
  assert.deepEqual(many.vulnerabilities, parse(ENGINE_MANY).vulnerabilities);
  const [one] = parse(CTL_ONE).vulnerabilities ?? [];
  assert.equal(one?.id, "CVE-2011-3389");
  assert.equal(one?.severity, "medium");
  assert.equal(one?.description, "That test description");
  assert.equal(parse(CTL_ONE).image, undefined);
});

test("anchorectl's `[]` is not claimed (the same bytes mean 'no policy violations'); named, it reads as empty", {
  skip: skipWithoutCorpus(CTL_NONE),
}, () => {
  const doc = readCorpusJson(CTL_NONE);
  assert.equal(anchoreVulnFormat.detect(doc), false);
  assert.deepEqual(anchoreVulnFormat.parse(doc, CTL_NONE).vulnerabilities, []);
});

test("anchorectl securityEvaluation: 84 findings (Critical 8, High 8, Medium 24, Low 43, Unknown 1)", {
  skip: skipWithoutCorpus(NEW_FORMAT),
}, () => {
  const report = parse(NEW_FORMAT);
  assert.equal(report.vulnerabilities?.length, 84);
  assert.deepEqual(severityCounts(report), { critical: 8, high: 8, medium: 24, low: 43, unknown: 1 });
  assert.deepEqual(report.image, {
    ref: "docker.io/myimage:new",
    digest: "sha256:100ec0d69914788c491567bccaea0ab9aa50f0ddd00584db7afb264718c010d6",
  });
  assert.equal(report.producedAt, "2025-01-13T10:09:59.971Z");
  const [first] = report.vulnerabilities ?? [];
  assert.deepEqual(first, {
    id: "CVE-2024-50379",
    package: {
      name: "tomcat-annotations-api",
      version: "9.0.97",
      type: "java",
      path: "/aci/base/lib/tomcat-annotations-api-9.0.97.jar",
    },
    severity: "critical",
    cvss: [{ version: "3.1", source: "nvd", sourceName: "nvd", baseScore: 9.8 }],
    fix: { state: "fixed", versions: ["10.1.34", "11.0.2", "9.0.98"] },
    detectedAt: "2025-01-10T15:09:00.000Z",
    fixAvailableAt: "2025-01-10T15:09:00.000Z",
    url: "https://nvd.nist.gov/vuln/detail/CVE-2024-50379",
    sources: ["anchore"],
  });
  const ghsa = report.vulnerabilities?.find((v) => v.id === "GHSA-5j33-cvvr-w245");
  assert.deepEqual(ghsa?.aliases, ["CVE-2024-50379"]);
  assert.equal(ghsa?.cvss, undefined);
  const cups = report.vulnerabilities?.find((v) => v.package.name === "cups-libs");
  assert.deepEqual(cups?.package, { name: "cups-libs", version: "1:2.2.6-61.el8_10", type: "rpm" });
  assert.deepEqual(cups?.fix, { state: "fixed", versions: ["1:2.2.6-62.el8_10"] });
  const unknown = report.vulnerabilities?.find((v) => v.severity === "unknown");
  assert.deepEqual(unknown?.package, {
    name: "java-11-openjdk-headless",
    version: "1:11.0.25.0.9-2.el8",
    type: "rpm",
  });
  assert.equal(unknown?.fixAvailableAt, undefined);
});

test("anchore-engine policy-engine lists: grype provider 97, legacy provider 93", {
  skip: skipWithoutCorpus(GRYPE_DEBIAN, LEGACY_DEBIAN),
}, () => {
  const grype = parse(GRYPE_DEBIAN);
  assert.equal(grype.vulnerabilities?.length, 97);
  assert.deepEqual(severityCounts(grype), { negligible: 87, medium: 5, critical: 1, low: 3, unknown: 1 });
  // jq '[.[] | select((.fix.versions | length) > 0)] | length' → 8
  assert.equal(fixedCount(grype), 8);
  const legacy = parse(LEGACY_DEBIAN);
  assert.equal(legacy.vulnerabilities?.length, 93);
  assert.deepEqual(severityCounts(legacy), { negligible: 83, medium: 7, low: 2, critical: 1 });
  assert.equal(fixedCount(legacy), 6);
  // The Debian tracker says Negligible; NVD's own scores come along as nvd entries.
  const python = legacy.vulnerabilities?.find(
    (v) => v.id === "CVE-2019-9674" && v.package.name === "python3.7-minimal",
  );
  assert.equal(python?.severity, "negligible");
  assert.deepEqual(
    python?.cvss?.map((c) => `${c.version} ${c.source} ${c.baseScore}`),
    ["2.0 nvd 5", "3.1 nvd 7.5"],
  );
  assert.deepEqual(python?.fix, { state: "not-fixed", versions: [] });
  assert.equal(python?.detectedAt, "2021-06-07T20:20:49.000Z");
});

test("policy-engine list on alpine: APKG packages are apk; NVD-feed scores are nvd", {
  skip: skipWithoutCorpus(GRYPE_ALPINE),
}, () => {
  const report = parse(GRYPE_ALPINE);
  assert.equal(report.vulnerabilities?.length, 10);
  const busybox = report.vulnerabilities?.find((v) => v.package.name === "busybox");
  assert.deepEqual(busybox?.package, { name: "busybox", version: "1.31.1-r19", type: "apk" });
  assert.deepEqual(busybox?.fix, { state: "fixed", versions: ["1.31.1-r20"] });
  assert.equal(busybox?.fixAvailableAt, "2021-09-28T17:53:07.000Z");
  const ftpd = report.vulnerabilities?.find((v) => v.package.name === "ftpd");
  assert.equal(ftpd?.package.type, "gem");
  assert.equal(ftpd?.package.path, "/usr/lib/ruby/gems/2.7.0/specifications/ftpd-0.2.1.gemspec");
  assert.deepEqual(
    ftpd?.cvss?.map((c) => `${c.version} ${c.source} ${c.baseScore}`),
    ["2.0 nvd 10", "3.1 nvd 9.8"],
  );
});

test("will-not-fix, GHSA with its NVD CVE, and CVSS-only severity in a policy-engine row", () => {
  const report = anchoreVulnFormat.parse(
    [
      {
        artifact: {
          name: "lodash",
          version: "4.17.20",
          pkg_type: "npm",
          location: "/app/node_modules/lodash/package.json",
        },
        fix: { versions: [], will_not_fix: true, observed_at: null },
        match: { detected_at: "2021-09-28T17:53:07Z" },
        nvd: [
          {
            vulnerability_id: "CVE-2021-23337",
            cvss: [
              { base_score: 7.2, vector: "CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H", version: "3.1" },
            ],
          },
        ],
        vulnerability: {
          vulnerability_id: "GHSA-35jh-r3h4-6jhm",
          feed_group: "github:npm",
          severity: "",
          cvss: [],
        },
      },
    ],
    "pe.json",
  );
  const [v] = report.vulnerabilities ?? [];
  assert.deepEqual(v?.aliases, ["CVE-2021-23337"]);
  assert.equal(v?.severity, "high");
  assert.deepEqual(v?.fix, { state: "wont-fix", versions: [] });
});

test("splitPackage: rpm before version-release, dpkg at the first digit, others at the last", () => {
  assert.deepEqual(splitPackage("ncurses-base-6.1-10.20180224.el8", "rpm"), {
    name: "ncurses-base",
    version: "6.1-10.20180224.el8",
  });
  assert.deepEqual(splitPackage("libgnutls30-3.5.8-5+deb9u4", "dpkg"), {
    name: "libgnutls30",
    version: "3.5.8-5+deb9u4",
  });
  assert.deepEqual(splitPackage("log4j-1.2-api-2.17.1", "java"), {
    name: "log4j-1.2-api",
    version: "2.17.1",
  });
  assert.deepEqual(splitPackage("jgroups-kubernetes-1.0.17.Final", "java"), {
    name: "jgroups-kubernetes",
    version: "1.0.17.Final",
  });
  assert.deepEqual(splitPackage("busybox", "apk"), { name: "busybox", version: "" });
});

test("broken Anchore documents: CIP_REPORT_INVALID naming where", () => {
  assert.throws(
    () =>
      anchoreVulnFormat.parse({ imageDigest: "sha256:1", vulnerabilities: [{ severity: "Low" }] }, "a.json"),
    {
      code: "CIP_REPORT_INVALID",
      message:
        /Cannot read Anchore vulnerability report a\.json: a required string is missing \(at \$\.vulnerabilities\[0\]\.vuln\)/,
    },
  );
  assert.throws(
    () =>
      anchoreVulnFormat.parse({ metadata: {}, securityEvaluation: [{ vulnerabilityId: "CVE-1" }] }, "a.json"),
    {
      code: "CIP_REPORT_INVALID",
      message: /at \$\.securityEvaluation\[0\]\.package/,
    },
  );
  assert.throws(
    () => anchoreVulnFormat.parse([{ artifact: {}, vulnerability: { vulnerability_id: "CVE-1" } }], "a.json"),
    {
      code: "CIP_REPORT_INVALID",
      message: /at \$\[0\]\.artifact\.name/,
    },
  );
  assert.throws(() => anchoreVulnFormat.parse({ hello: 1 }, "a.json"), {
    code: "CIP_REPORT_INVALID",
    message: /expected \{vulnerabilities\[\]\} with imageDigest/,
  });
});
