import assert from "node:assert/strict";
import { test } from "node:test";
import { NO_CORPUS, readCorpusJson, skipWithoutCorpus } from "../../../test/support/corpus.js";
import { seededRandom } from "../../../test/support/fuzz.js";
import { claimedBy, fuzzParser } from "../../../test/support/ingest.js";
import { isCipError } from "../../model/index.js";
import { spdxFormat } from "./spdx.js";

const DIR = "sbom/spdx";

function parse(file: string) {
  return spdxFormat.parse(readCorpusJson(`${DIR}/${file}`), file);
}

test("spdx many_vuln: advisory references naming a CVE or GHSA are findings, CPEs are not", {
  skip: skipWithoutCorpus(`${DIR}/defectdojo_spdx_many_vuln.json`),
}, () => {
  const report = parse("defectdojo_spdx_many_vuln.json");
  assert.equal(report.format, "spdx");
  assert.deepEqual(report.scanner, { name: "syft", version: "1.50.0" });
  assert.equal(report.producedAt, "2026-07-29T00:00:00.000Z");
  assert.equal(report.packages.length, 4);
  // DefectDojo asserts 3 findings: CVE-2024-10001 (advisory + fix), CVE-2024-10002 and a GHSA; apk-tools' advisory names no id.
  assert.deepEqual(
    report.vulnerabilities?.map((v) => [v.id, v.package.name]),
    [
      ["CVE-2024-10001", "alpine-baselayout"],
      ["CVE-2024-10002", "alpine-keys"],
      ["GHSA-jfh8-c2jp-5v3q", "alpine-keys"],
    ],
  );
  const baselayout = report.vulnerabilities?.[0];
  assert.ok(baselayout);
  assert.equal(baselayout.severity, "unknown");
  assert.equal(baselayout.url, "https://example.com/advisories/CVE-2024-10001");
  assert.deepEqual(baselayout.fix, { state: "fixed", versions: [] });
  assert.deepEqual(baselayout.package, {
    name: "alpine-baselayout",
    version: "3.1.2-r0",
    type: "apk",
    purl: "pkg:apk/alpine/alpine-baselayout@3.1.2-r0?arch=x86_64&distro=alpine-3.10.9",
  });
  assert.deepEqual(report.packages[0]?.licenses, ["GPL-2.0-only"]);
});

test("spdx one_vuln and no_vuln: one finding; without advisory references no vulnerability data", {
  skip: skipWithoutCorpus(`${DIR}/defectdojo_spdx_one_vuln.json`, `${DIR}/defectdojo_spdx_no_vuln.json`),
}, () => {
  assert.deepEqual(
    parse("defectdojo_spdx_one_vuln.json").vulnerabilities?.map((v) => v.id),
    ["CVE-2024-10001"],
  );
  const clean = parse("defectdojo_spdx_no_vuln.json");
  assert.equal(clean.vulnerabilities, undefined);
  assert.equal(clean.packages.length, 3);
});

test("spdx trivy image SBOM: the container package is the image, the OS package the distro", {
  skip: skipWithoutCorpus(`${DIR}/trivy_centos-7-spdx.json`),
}, () => {
  const report = parse("trivy_centos-7-spdx.json");
  assert.deepEqual(report.scanner, { name: "trivy", version: "dev" });
  assert.deepEqual(report.image, {
    imageId: "sha256:f1cb7c7d58b73eac859c395882eec49d50651244e342cd6c68a5c7809785f427",
    ref: "ghcr.io/aquasecurity/trivy-test-images:centos-7",
  });
  assert.deepEqual(report.distro, { name: "centos", version: "7.6.1810" });
  assert.deepEqual(report.packages, [
    {
      name: "bash",
      version: "4.2.46",
      type: "rpm",
      purl: "pkg:rpm/centos/bash@4.2.46-31.el7?arch=x86_64&distro=centos-7.6.1810",
      licenses: ["GPLv3+"],
    },
    {
      name: "openssl-libs",
      version: "1:1.0.2k-19.el7",
      type: "rpm",
      purl: "pkg:rpm/centos/openssl-libs@1.0.2k-16.el7?arch=x86_64&epoch=1&distro=centos-7.6.1810",
      licenses: ["OpenSSL"],
    },
  ]);
  assert.equal(report.vulnerabilities, undefined);
});

test("spdx syft image SBOM: image digest from the pkg:oci purl; type and path without a purl", {
  skip: skipWithoutCorpus(`${DIR}/syft_TestSPDXJSONImageEncoder.golden.json`),
}, () => {
  const report = parse("syft_TestSPDXJSONImageEncoder.golden.json");
  assert.deepEqual(report.image, {
    ref: "user-image-input",
    digest: "sha256:2731251dc34951c0e50fcc643b4c5f74922dad1a5d98f302b504cf46cd5d9368",
  });
  assert.deepEqual(report.packages, [
    { name: "package-1", version: "1.0.1", type: "python", path: "/somefile-1.txt", licenses: ["MIT"] },
    { name: "package-2", version: "2.0.1", type: "dpkg", purl: "pkg:deb/debian/package-2@2.0.1" },
  ]);
});

test("spdx bitnami SBOM: the described application is a package; no tool named", {
  skip: skipWithoutCorpus(`${DIR}/trivy_bitnami_postgresql.spdx.json`),
}, () => {
  const report = parse("trivy_bitnami_postgresql.spdx.json");
  assert.deepEqual(report.scanner, { name: "spdx" });
  assert.deepEqual(
    report.packages.map((p) => [p.name, p.version, p.type]),
    [
      ["PostgreSQL", "15.3.0", "bitnami"],
      ["GEOS", "3.8.3", "bitnami"],
      ["Proj", "6.3.2", "bitnami"],
      ["GDAL", "3.7.1", "bitnami"],
    ],
  );
  assert.equal(report.image, undefined);
});

test("spdx: broken documents are refused saying where", () => {
  const refuses = (doc: unknown, text: string) =>
    assert.throws(
      () => spdxFormat.parse(doc, "bad.json"),
      (e: unknown) => isCipError(e) && e.code === "CIP_REPORT_INVALID" && e.message.includes(text),
    );
  refuses({ spdxVersion: "SPDX-2.3", packages: [{ name: "a" }, { versionInfo: "1" }] }, "packages[1].name");
  refuses(
    { spdxVersion: "SPDX-2.3", packages: [{ name: "a", externalRefs: [null] }] },
    "packages[0].externalRefs[0]",
  );
  refuses({ spdxVersion: "SPDX-2.3", packages: "none" }, "(at packages)");
  refuses({ spdxVersion: "SPDX-2.3", creationInfo: [] }, "(at creationInfo)");
});

test("spdx: mutated documents give a clear error or a report, never an exception", {
  skip: skipWithoutCorpus(`${DIR}/defectdojo_spdx_many_vuln.json`, `${DIR}/trivy_centos-7-spdx.json`),
}, () => {
  const rnd = seededRandom(15);
  for (const file of [
    "defectdojo_spdx_many_vuln.json",
    "trivy_centos-7-spdx.json",
    "syft_TestSPDXJSONImageEncoder.golden.json",
  ])
    fuzzParser(spdxFormat, readCorpusJson(`${DIR}/${file}`), file, 200, rnd);
});

test("spdx detection: true for the SPDX 2.x files, false for every other corpus document", {
  skip: NO_CORPUS,
}, () => {
  const claimed = claimedBy(spdxFormat);
  assert.deepEqual(
    claimed,
    [
      "defectdojo_spdx_many_vuln.json",
      "defectdojo_spdx_no_vuln.json",
      "defectdojo_spdx_one_vuln.json",
      "syft_TestSPDXJSONImageEncoder.golden.json",
      "trivy_bitnami_elasticsearch.spdx.json",
      "trivy_bitnami_postgresql.spdx.json",
      "trivy_centos-7-spdx.json",
    ].map((f) => `${DIR}/${f}`),
  );
});
