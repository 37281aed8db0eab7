import assert from "node:assert/strict";
import { test } from "node:test";
import { NO_CORPUS, readCorpusJson, skipWithoutCorpus } from "../../../test/support/corpus.js";
import { claimedBy, corpusFilesWhere, countBy, fuzzParser } from "../../../test/support/ingest.js";
import { isCipError } from "../../model/index.js";
import { cyclonedxVexFormat } from "./cyclonedx-vex.js";

const DIR = "vex/cyclonedx-vex";
const CASE3 = `${DIR}/cisa-case3_vex.json`;
// The SBOMs that sit beside the VEX documents in the corpus folder (read by the CycloneDX SBOM format).
const BOMS = new Set([
  `${DIR}/bom-examples_bom.json`,
  `${DIR}/cisa-case8_bom-1.json`,
  `${DIR}/cisa-case8_bom-2.json`,
]);

function parse(file: string) {
  return cyclonedxVexFormat.parse(readCorpusJson(file), file);
}

test("CISA case 3: 19 statements; exploitable 5, in_triage 5, not_affected 6, resolved 3 (SOURCES.md)", {
  skip: skipWithoutCorpus(CASE3),
}, () => {
  const doc = parse(CASE3);
  assert.equal(doc.format, "cyclonedx-vex");
  assert.equal(doc.statements.length, 19);
  assert.deepEqual(
    countBy(doc.statements, (s) => s.status),
    {
      affected: 5,
      under_investigation: 5,
      not_affected: 6,
      fixed: 3,
    },
  );
  const s11897 = doc.statements.find((s) => s.vulnerability === "CVE-2020-11897");
  assert.equal(s11897?.status, "not_affected");
  assert.equal(s11897?.justification, "code_not_present");
  assert.equal(s11897?.statement, "IPv6 is not supported and code is not present.");
  // A local bom-ref without a purl stays as written; the document's metadata timestamp dates it.
  assert.deepEqual(s11897?.products, ["product-GHI"]);
  assert.equal(s11897?.timestamp, "2022-03-03T00:00:00.000Z");
  // No serial number: the document is cited by its source.
  assert.equal(doc.id, CASE3);
});

test("CISA case 1: each analysis state maps to its VEX status", {
  skip: skipWithoutCorpus(`${DIR}/cisa-case1_vex-affected.json`),
}, () => {
  const cases: [string, string][] = [
    ["cisa-case1_vex-affected.json", "affected"],
    ["cisa-case1_vex-fixed.json", "fixed"],
    ["cisa-case1_vex-not_affected.json", "not_affected"],
    ["cisa-case1_vex-under_investigation.json", "under_investigation"],
  ];
  for (const [file, status] of cases) {
    const statements = parse(`${DIR}/${file}`).statements;
    assert.deepEqual(
      statements.map((s) => [s.vulnerability, s.status]),
      [["CVE-2021-44228", status]],
      file,
    );
  }
  const affected = parse(`${DIR}/cisa-case1_vex-affected.json`).statements[0];
  assert.match(
    affected?.statement ?? "",
    /is affected by the vulnerability.*; response: will_not_fix, update$/,
  );
});

test("bom-links stay as written, plus the purl their fragment names; references become aliases", {
  skip: skipWithoutCorpus(`${DIR}/trivy_cyclonedx-vex.json`, `${DIR}/bom-examples_vex.json`),
}, () => {
  const trivy = parse(`${DIR}/trivy_cyclonedx-vex.json`).statements;
  assert.equal(trivy.length, 2);
  assert.deepEqual(trivy[0]?.products, [
    "urn:cdx:3e671687-395b-41f5-a30f-a58921a69b79/1#pkg:maven/org.springframework.boot/spring-boot@2.6.0",
    "pkg:maven/org.springframework.boot/spring-boot@2.6.0",
  ]);
  assert.equal(trivy[0]?.justification, "code_not_reachable");
  // Its purl already pins the version, so the versions list does not change it.
  assert.equal(
    trivy[1]?.products[1],
    "pkg:deb/ubuntu/libstdc%2B%2B6@12.3.0-1ubuntu1~22.04?arch=amd64&distro=ubuntu-22.04",
  );
  assert.equal(trivy[1]?.status, "not_affected");
  const bom = parse(`${DIR}/bom-examples_vex.json`).statements[0];
  assert.deepEqual(bom?.aliases, ["SNYK-JAVA-COMFASTERXMLJACKSONCORE-1048302"]);
  assert.equal(bom?.products[1], "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.10.0?type=jar");
});

test("CISA case 6 and 8: versions and ranges narrow the product, so affected and not_affected never overlap", {
  skip: skipWithoutCorpus(`${DIR}/cisa-case6_vex.json`, `${DIR}/cisa-case8_vex.json`),
}, () => {
  const case6 = parse(`${DIR}/cisa-case6_vex.json`).statements;
  assert.deepEqual(
    case6.map((s) => [s.status, s.products]),
    [
      ["affected", ["product-ABC@2.4", "product-ABC@2.6", "product-ABC@vers:generic/>=2.9|<=4.1"]],
      [
        "not_affected",
        [
          "product-ABC@vers:generic/>=1.0|<=2.3",
          "product-ABC@2.5",
          "product-ABC@vers:generic/>=2.7|<=2.8",
          "product-ABC@4.2",
        ],
      ],
    ],
  );
  // Counted with: jq '[.vulnerabilities[].analysis.state] | group_by(.) | map({(.[0]): length}) | add'
  const case8 = parse(`${DIR}/cisa-case8_vex.json`).statements;
  assert.deepEqual(
    countBy(case8, (s) => s.status),
    { affected: 2, not_affected: 4, fixed: 2 },
  );
  assert.ok(case8.every((s) => s.products.every((p) => p.startsWith("urn:cdx:"))));
});

test("a versionless purl limited to versions gets them as its version, qualifiers kept", () => {
  const doc = cyclonedxVexFormat.parse(
    {
      bomFormat: "CycloneDX",
      specVersion: "1.5",
      serialNumber: "urn:uuid:1",
      metadata: { component: { "bom-ref": "app", purl: "pkg:npm/app?repository_url=x", name: "app" } },
      vulnerabilities: [
        {
          id: "CVE-1",
          references: [{ id: "GHSA-1" }, { id: "CVE-1" }],
          analysis: {
            state: "false_positive",
            lastUpdated: "2024-02-02T00:00:00Z",
            firstIssued: "2024-01-01T00:00:00Z",
          },
          affects: [
            { ref: "app", versions: [{ version: "1.0.0", status: "unaffected" }, { range: "vers:npm/>=2" }] },
          ],
        },
        { id: "CVE-2", affects: [{ ref: "app" }] },
      ],
    },
    "inline.json",
  );
  assert.equal(doc.id, "urn:uuid:1");
  assert.deepEqual(doc.statements, [
    {
      vulnerability: "CVE-1",
      aliases: ["GHSA-1"],
      products: ["pkg:npm/app@1.0.0?repository_url=x", "pkg:npm/app@vers:npm/>=2?repository_url=x"],
      subcomponents: [],
      status: "not_affected",
      statement: "false positive",
      timestamp: "2024-02-02T00:00:00.000Z",
    },
  ]);
});

test("broken documents give CIP_REPORT_INVALID naming the path", () => {
  const base = { bomFormat: "CycloneDX", specVersion: "1.5" };
  const vuln = (v: Record<string, unknown>) => ({
    ...base,
    vulnerabilities: [{ id: "CVE-1", affects: [{ ref: "x" }], ...v }],
  });
  const cases: [unknown, RegExp][] = [
    [vuln({ analysis: { state: "mitigated" } }), /"mitigated".*\$\.vulnerabilities\[0\]\.analysis\.state/],
    [
      vuln({ analysis: { state: "resolved" }, id: undefined }),
      /required string.*\$\.vulnerabilities\[0\]\.id/,
    ],
    [vuln({ analysis: { state: "resolved" }, affects: [] }), /what it affects.*\.affects/],
    [vuln({ analysis: { state: "resolved" }, affects: [{}] }), /\.affects\[0\]\.ref/],
    [
      vuln({ analysis: { state: "resolved" }, affects: [{ ref: "x", versions: [{}] }] }),
      /version or a range.*versions\[0\]/,
    ],
    [{ ...base, vulnerabilities: {} }, /expected an array.*\$\.vulnerabilities/],
  ];
  for (const [document, message] of cases) {
    assert.throws(
      () => cyclonedxVexFormat.parse(document, "bad.json"),
      (e: unknown) => isCipError(e) && e.code === "CIP_REPORT_INVALID" && message.test(e.message),
    );
  }
});

test("mutated documents give a CipError or a result, never a crash", {
  skip: skipWithoutCorpus(CASE3),
}, () => {
  fuzzParser(cyclonedxVexFormat, readCorpusJson(CASE3), "fuzz.json", 500, 11);
});

test("detection boundary with the CycloneDX SBOM format: a document with components is not VEX", () => {
  const vulnerabilities = [{ id: "CVE-1", analysis: { state: "not_affected" }, affects: [{ ref: "a" }] }];
  assert.equal(cyclonedxVexFormat.detect({ bomFormat: "CycloneDX", vulnerabilities }), true);
  assert.equal(cyclonedxVexFormat.detect({ bomFormat: "CycloneDX", components: [], vulnerabilities }), true);
  assert.equal(
    cyclonedxVexFormat.detect({ bomFormat: "CycloneDX", components: [{ name: "a" }], vulnerabilities }),
    false,
  );
  // Findings without analysis are a scanner's, not VEX statements.
  assert.equal(
    cyclonedxVexFormat.detect({ bomFormat: "CycloneDX", vulnerabilities: [{ id: "CVE-1" }] }),
    false,
  );
  assert.equal(cyclonedxVexFormat.detect({ vulnerabilities }), false);
});

test("detect(): true for the VEX documents of the corpus, false for its SBOMs and every other corpus file", {
  skip: NO_CORPUS,
}, () => {
  assert.deepEqual(
    claimedBy(cyclonedxVexFormat),
    corpusFilesWhere((file) => file.startsWith(`${DIR}/`) && !BOMS.has(file)),
  );
});
