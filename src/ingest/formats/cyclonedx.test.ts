import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { CORPUS_ROOT, NO_CORPUS, readCorpusJson, skipWithoutCorpus } from "../../../test/support/corpus.js";
import { seededRandom } from "../../../test/support/fuzz.js";
import { claimedBy, fuzzParser, severityCounts } from "../../../test/support/ingest.js";
import { isCipError } from "../../model/index.js";
import { cyclonedxFormat } from "./cyclonedx.js";

const DIR = "sbom/cyclonedx";

function parse(file: string) {
  return cyclonedxFormat.parse(readCorpusJson(`${DIR}/${file}`), file);
}

test("cyclonedx trivy fluentd SBOM: 160 packages, the OS component as distro, no vulnerability data", {
  skip: skipWithoutCorpus(`${DIR}/trivy_fluentd-multiple-lockfiles.cdx.json`),
}, () => {
  const report = parse("trivy_fluentd-multiple-lockfiles.cdx.json");
  assert.equal(report.format, "cyclonedx");
  assert.deepEqual(report.scanner, { name: "trivy", version: "dev" });
  // SOURCES.md: 161 components, no vulnerabilities section; one of them is the operating-system component.
  assert.equal(report.packages.length, 160);
  assert.equal(report.vulnerabilities, undefined);
  assert.deepEqual(report.distro, { name: "debian", version: "10.2" });
  // By purl type (jq): deb 105, gem 55.
  assert.equal(report.packages.filter((p) => p.type === "dpkg").length, 105);
  assert.equal(report.packages.filter((p) => p.type === "gem").length, 55);
  assert.deepEqual(report.image, {
    ref: "ghcr.io/aquasecurity/trivy-test-images:fluentd-multiple-lockfiles",
    imageId: "sha256:5a992077baba51b97f27591a10d54d2f2723dc9c81a3fe419e261023f2554933",
  });
  const gem = report.packages.find((p) => p.name === "activesupport");
  assert.deepEqual(gem, {
    name: "activesupport",
    version: "6.0.2.1",
    type: "gem",
    path: "var/lib/gems/2.5.0/specifications/activesupport-6.0.2.1.gemspec",
    purl: "pkg:gem/activesupport@6.0.2.1",
    licenses: ["MIT"],
  });
  assert.equal(report.producedAt, "2021-08-25T12:20:30.000Z");
});

test("cyclonedx trivy ubuntu BOM with vulnerabilities: one finding per affected component, the source's severity", {
  skip: skipWithoutCorpus(`${DIR}/defectdojo_issue_9277.json`),
}, () => {
  const report = parse("defectdojo_issue_9277.json");
  // 10 vulnerabilities affecting 14 components; DefectDojo asserts 14 findings.
  assert.equal(report.vulnerabilities?.length, 14);
  // The rating whose source is the vulnerability's source (jq over .ratings[] | select(.source.name == $source)).
  assert.deepEqual(severityCounts(report.vulnerabilities), { low: 13, medium: 1 });
  assert.deepEqual(report.image, {
    ref: "ubuntu:latest",
    digest: "sha256:6042500cf4b44023ea1894effe7890666b0c5c7871ed83a97c36c76ae560bb9b",
    imageId: "sha256:174c8c134b2a94b5bb0b37d9a2b6ba0663d82d23ebf62bd51f74a2fd457333da",
    repoDigests: ["ubuntu@sha256:6042500cf4b44023ea1894effe7890666b0c5c7871ed83a97c36c76ae560bb9b"],
  });
  assert.deepEqual(report.distro, { name: "ubuntu", version: "22.04" });
  const coreutils = report.vulnerabilities?.find((v) => v.id === "CVE-2016-2781");
  assert.ok(coreutils);
  assert.equal(coreutils.severity, "low");
  assert.deepEqual(coreutils.package, {
    name: "coreutils",
    version: "8.32-4.1ubuntu1",
    type: "dpkg",
    purl: "pkg:deb/ubuntu/coreutils@8.32-4.1ubuntu1?arch=amd64&distro=ubuntu-22.04",
  });
  assert.deepEqual(coreutils.cvss, [
    {
      version: "2.0",
      source: "nvd",
      sourceName: "nvd",
      baseScore: 2.1,
      vector: "AV:L/AC:L/Au:N/C:N/I:P/A:N",
    },
    {
      version: "3.0",
      source: "nvd",
      sourceName: "nvd",
      baseScore: 6.5,
      vector: "CVSS:3.0/AV:L/AC:L/PR:L/UI:N/S:C/C:N/I:H/A:N",
    },
    {
      version: "2.0",
      source: "vendor",
      sourceName: "redhat",
      baseScore: 6.2,
      vector: "AV:L/AC:H/Au:N/C:C/I:C/A:C",
    },
    {
      version: "3.0",
      source: "vendor",
      sourceName: "redhat",
      baseScore: 8.6,
      vector: "CVSS:3.0/AV:L/AC:L/PR:N/UI:R/S:C/C:H/I:H/A:H",
    },
  ]);
  assert.equal(coreutils.publishedAt, "2017-02-07T15:59:00.000Z");
  // The debian tar purl it cites is not among this BOM's components: the finding names the purl.
  const tar = report.vulnerabilities?.find((v) => v.id === "TEMP-0290435-0B57B5");
  assert.deepEqual(tar?.package, {
    name: "tar",
    version: "1.30+dfsg-6",
    type: "dpkg",
    purl: "pkg:deb/debian/tar@1.30%2Bdfsg-6?arch=amd64&distro=debian-10.12",
  });
  assert.equal(report.notes.length, 1);
});

test("cyclonedx grype log4j BOM, flat and nested: 8 findings; in_triage is no VEX assessment", {
  skip: skipWithoutCorpus(`${DIR}/defectdojo_log4j.json`, `${DIR}/defectdojo_nested-component-log4j.json`),
}, () => {
  for (const file of ["defectdojo_log4j.json", "defectdojo_nested-component-log4j.json"]) {
    const report = parse(file);
    // DefectDojo asserts 8 findings for both.
    assert.equal(report.vulnerabilities?.length, 8, file);
    assert.deepEqual(severityCounts(report.vulnerabilities), { critical: 4, high: 1, medium: 3 }, file);
    assert.deepEqual(report.scanner, { name: "grype", version: "0.41.0" });
    assert.equal(report.image, undefined);
    const log4shell = report.vulnerabilities?.find((v) => v.id === "CVE-2021-44228");
    assert.ok(log4shell);
    assert.equal(log4shell.severity, "critical");
    assert.deepEqual(log4shell.package, {
      name: "log4j-core",
      version: "2.13.2",
      type: "java",
      purl: "pkg:maven/org.apache.logging.log4j/log4j-core@2.13.2",
    });
    assert.deepEqual(
      log4shell.cvss?.map((c) => [c.version, c.source, c.baseScore]),
      [
        ["2.0", "nvd", 10],
        ["3.1", "nvd", 10],
      ],
    );
    assert.equal(log4shell.vex, undefined);
    assert.equal(log4shell.url, "http://cve.mitre.org/cgi-bin/cvename.cgi?name=CVE-2021-44228");
  }
});

test("cyclonedx BOM with an analysed vulnerability: the analysis is the finding's VEX assessment", {
  skip: skipWithoutCorpus(
    `${DIR}/defectdojo_valid-vulnerability-1.4.json`,
    `${DIR}/defectdojo_issue_8022.json`,
  ),
}, () => {
  for (const file of ["defectdojo_valid-vulnerability-1.4.json", "defectdojo_issue_8022.json"]) {
    const report = parse(file);
    // DefectDojo asserts 1 finding for both.
    assert.equal(report.vulnerabilities?.length, 1, file);
    const v = report.vulnerabilities?.[0];
    assert.ok(v);
    assert.equal(v.id, "SNYK-JAVA-COMFASTERXMLJACKSONCORE-32111");
    assert.deepEqual(v.aliases, ["CVE-2018-7489"]);
    assert.equal(v.severity, "critical");
    assert.deepEqual(v.cvss, [
      {
        version: "3.0",
        source: "nvd",
        sourceName: "NVD",
        baseScore: 9.8,
        vector: "AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
      },
    ]);
    assert.deepEqual(v.fix, { state: "wont-fix", versions: [] });
    assert.equal(v.vex?.status, "not_affected");
    assert.equal(v.vex?.justification, "code_not_reachable");
    assert.equal(v.vex?.document, "cyclonedx:urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79");
    assert.equal(v.url, "https://snyk.io/vuln/SNYK-JAVA-COMFASTERXMLJACKSONCORE-32111");
    assert.equal(v.package.name, "jackson-databind");
  }
});

test("cyclonedx without components and without severity words: CVSS banded, the reference named", {
  skip: skipWithoutCorpus(`${DIR}/defectdojo_no-severity.json`),
}, () => {
  const report = parse("defectdojo_no-severity.json");
  assert.equal(report.packages.length, 0);
  assert.equal(report.vulnerabilities?.length, 1);
  const v = report.vulnerabilities?.[0];
  assert.equal(v?.severity, "critical");
  assert.deepEqual(v?.package, { name: "gerbwetbqt", version: "", type: "unknown" });
});

test("cyclonedx syft image BOM: package type and path from syft's properties", {
  skip: skipWithoutCorpus(`${DIR}/syft_TestCycloneDxImageEncoder.golden.json`),
}, () => {
  const report = parse("syft_TestCycloneDxImageEncoder.golden.json");
  assert.deepEqual(report.scanner, { name: "syft", version: "v0.42.0-bogus" });
  assert.equal(report.vulnerabilities, undefined);
  const [python, deb] = report.packages;
  // "a-purl-1" is no purl: the type comes from syft:package:type.
  assert.deepEqual(python, {
    name: "package-1",
    version: "1.0.1",
    type: "python",
    path: "/somefile-1.txt",
    licenses: ["MIT"],
  });
  assert.equal(deb?.type, "dpkg");
  assert.equal(deb?.path, undefined);
});

test("cyclonedx vs cyclonedx-vex boundary: VEX = no components and some vulnerability with an analysis", {
  skip: existsSync(join(CORPUS_ROOT, "vex/cyclonedx-vex")) ? false : "corpus vex/cyclonedx-vex not found",
}, () => {
  const vex = "vex/cyclonedx-vex";
  for (const file of [
    "cisa-case1_vex-affected.json",
    "cisa-case3_vex.json",
    "bom-examples_vex.json",
    "trivy_cyclonedx-vex.json",
  ]) {
    assert.equal(cyclonedxFormat.detect(readCorpusJson(`${vex}/${file}`)), false, file);
  }
  for (const file of ["bom-examples_bom.json", "cisa-case8_bom-1.json"]) {
    assert.equal(cyclonedxFormat.detect(readCorpusJson(`${vex}/${file}`)), true, file);
  }
  const analysed = { name: "x", version: "1", type: "library", "bom-ref": "x" };
  const vulnerability = { id: "CVE-1", analysis: { state: "not_affected" }, affects: [{ ref: "x" }] };
  assert.equal(
    cyclonedxFormat.detect({
      bomFormat: "CycloneDX",
      components: [analysed],
      vulnerabilities: [vulnerability],
    }),
    true,
  );
  assert.equal(
    cyclonedxFormat.detect({ bomFormat: "CycloneDX", components: [], vulnerabilities: [vulnerability] }),
    false,
  );
});

test("cyclonedx: broken BOMs are refused saying where", () => {
  const refuses = (doc: unknown, text: string) =>
    assert.throws(
      () => cyclonedxFormat.parse(doc, "bad.json"),
      (e: unknown) => isCipError(e) && e.code === "CIP_REPORT_INVALID" && e.message.includes(text),
    );
  refuses(
    { bomFormat: "CycloneDX", components: [{ type: "library", components: [3] }] },
    "components[0].components[0]",
  );
  refuses({ bomFormat: "CycloneDX", components: {} }, "(at components)");
  refuses(
    { bomFormat: "CycloneDX", vulnerabilities: [{ id: "CVE-1", affects: [{}] }] },
    "vulnerabilities[0].affects[0].ref",
  );
  refuses({ bomFormat: "CycloneDX", vulnerabilities: [{ affects: [] }] }, "vulnerabilities[0].id");
});

test("cyclonedx: mutated BOMs give a clear error or a report, never an exception", {
  skip: skipWithoutCorpus(
    `${DIR}/defectdojo_issue_8022.json`,
    `${DIR}/defectdojo_nested-component-log4j.json`,
  ),
}, () => {
  const rnd = seededRandom(14);
  for (const file of [
    "defectdojo_issue_8022.json",
    "defectdojo_nested-component-log4j.json",
    "trivy_centos-7-cyclonedx.json",
  ])
    fuzzParser(cyclonedxFormat, readCorpusJson(`${DIR}/${file}`), file, 200, rnd);
});

test("cyclonedx detection: true for CycloneDX BOMs, false for VEX documents and every other corpus document", {
  skip: NO_CORPUS,
}, () => {
  const claimed = claimedBy(cyclonedxFormat);
  // defectdojo_grype.xml is CycloneDX XML: not JSON, refused by the reader before detection.
  assert.deepEqual(claimed, [
    `${DIR}/defectdojo_issue_8022.json`,
    `${DIR}/defectdojo_issue_9277.json`,
    `${DIR}/defectdojo_log4j.json`,
    `${DIR}/defectdojo_nested-component-log4j.json`,
    `${DIR}/defectdojo_no-severity.json`,
    `${DIR}/defectdojo_valid-vulnerability-1.4.json`,
    `${DIR}/syft_TestCycloneDxImageEncoder.golden.json`,
    `${DIR}/trivy_centos-7-cyclonedx.json`,
    `${DIR}/trivy_fluentd-multiple-lockfiles.cdx.json`,
    "vex/cyclonedx-vex/bom-examples_bom.json",
    "vex/cyclonedx-vex/cisa-case8_bom-1.json",
    "vex/cyclonedx-vex/cisa-case8_bom-2.json",
  ]);
});
