import assert from "node:assert/strict";
import { test } from "node:test";
import { NO_CORPUS, readCorpusJson, skipWithoutCorpus } from "../../../test/support/corpus.js";
import { claimedBy, corpusFilesWhere, countBy, fuzzParser } from "../../../test/support/ingest.js";
import { isCipError } from "../../model/index.js";
import { openvexFormat } from "./openvex.js";

const DIR = "vex/openvex";
const V020 = `${DIR}/go-vex_v0.2.0.json`;
const ALPINE = "pkg:oci/alpine@sha256%3A124c7d2707904eea7431fffe91522a01e5a861a624ee31d03372cc1d138a3126";

function parse(file: string) {
  return openvexFormat.parse(readCorpusJson(file), file);
}

test("go-vex v0.2.0: 5 statements on the alpine image, fixed 3 and not_affected 2 (SOURCES.md)", {
  skip: skipWithoutCorpus(V020),
}, () => {
  const doc = parse(V020);
  assert.equal(doc.format, "openvex");
  assert.match(doc.id, /^https:\/\/openvex\.dev\/docs\/public\/vex-d4e9020b/);
  assert.equal(doc.statements.length, 5);
  assert.deepEqual(
    countBy(doc.statements, (s) => s.status),
    { fixed: 3, not_affected: 2 },
  );
  for (const s of doc.statements) {
    assert.deepEqual(s.products, [ALPINE]);
    assert.deepEqual(s.subcomponents, [
      "pkg:apk/alpine/libssl3@3.0.8-r3",
      "pkg:apk/alpine/libcrypto3@3.0.8-r3",
    ]);
    // No statement timestamp: the document's, in UTC.
    assert.equal(s.timestamp, "2023-07-18T00:28:47.696Z");
  }
  const s3446 = doc.statements.find((s) => s.vulnerability === "CVE-2023-3446");
  assert.equal(s3446?.justification, "vulnerable_code_not_present");
  assert.equal(s3446?.statement, "affected functions were removed before packaging");
});

test("OpenVEX 0.0.1, with and without a version in its context: string vulnerability and products", {
  skip: skipWithoutCorpus(`${DIR}/go-vex_v0.0.1.json`, `${DIR}/go-vex_v0.0.1-noversion.json`),
}, () => {
  for (const file of [`${DIR}/go-vex_v0.0.1.json`, `${DIR}/go-vex_v0.0.1-noversion.json`]) {
    const doc = parse(file);
    assert.equal(doc.statements.length, 1, file);
    const [s] = doc.statements;
    assert.equal(s?.vulnerability, "CVE-2023-12345");
    assert.equal(s?.status, "fixed");
    assert.deepEqual(s?.products, [
      "pkg:apk/wolfi/git@2.39.0-r1?arch=armv7",
      "pkg:apk/wolfi/git@2.39.0-r1?arch=x86_64",
    ]);
    assert.deepEqual(s?.subcomponents, []);
    assert.equal(s?.timestamp, "2023-01-09T00:02:03.647Z");
  }
});

test("DefectDojo many_vuln: every status, aliases, impact and action statements, mixed 0.0/0.2 forms", {
  skip: skipWithoutCorpus(`${DIR}/defectdojo_openvex_many_vuln.json`),
}, () => {
  const doc = parse(`${DIR}/defectdojo_openvex_many_vuln.json`);
  // Counted with: jq '[.statements[].status] | group_by(.) | map({(.[0]): length}) | add'
  assert.deepEqual(
    countBy(doc.statements, (s) => s.status),
    {
      not_affected: 3,
      affected: 1,
      fixed: 1,
      under_investigation: 1,
    },
  );
  const zlib = doc.statements.find((s) => s.vulnerability === "CVE-2024-10005");
  assert.deepEqual(zlib?.aliases, ["GHSA-jfh8-c2jp-5v3q"]);
  assert.equal(zlib?.justification, "inline_mitigations_already_exist");
  assert.equal(zlib?.statement, "The affected code path is disabled at build time.");
  assert.equal(
    doc.statements.find((s) => s.status === "affected")?.statement,
    "No action statement provided",
  );
  // The last statement uses the 0.0.x string forms inside a 0.2.0 document.
  const openssl = doc.statements.find((s) => s.vulnerability === "CVE-2024-10006");
  assert.deepEqual(openssl?.products, ["pkg:apk/alpine/openssl@1.1.1k-r0"]);
});

test("products named by identifiers.purl, by @id, and nested subcomponents", {
  skip: skipWithoutCorpus(
    `${DIR}/grype_openvex.json`,
    `${DIR}/trivy_integration_openvex.json`,
    `${DIR}/trivy_openvex-oci.json`,
  ),
}, () => {
  assert.deepEqual(parse(`${DIR}/grype_openvex.json`).statements[0]?.products, [
    "pkg:pypi/urllib3@1.26.16+cgr.1",
  ]);
  const trivy = parse(`${DIR}/trivy_integration_openvex.json`).statements[0];
  assert.equal(trivy?.vulnerability, "CVE-2022-23628"); // given as vulnerability.@id
  assert.deepEqual(trivy?.products, ["pkg:golang/github.com/testdata/testdata"]);
  assert.deepEqual(trivy?.subcomponents, ["pkg:golang/github.com/open-policy-agent/opa@v0.35.0"]);
  assert.equal(trivy?.statement, "The vulnerable code isn't called");
  const oci = parse(`${DIR}/trivy_openvex-oci.json`).statements[0];
  assert.deepEqual([oci?.products, oci?.subcomponents], [["pkg:oci/debian"], ["pkg:deb/debian/bash"]]);
});

test("a statement's own timestamp wins over the document's; no @id falls back to the author", {
  skip: skipWithoutCorpus(`${DIR}/trivy_openvex-multiple.json`),
}, () => {
  const doc = parse(`${DIR}/trivy_openvex-multiple.json`);
  assert.equal(doc.id, "Aqua Security");
  assert.deepEqual(
    doc.statements.map((s) => [s.status, s.timestamp]),
    [
      ["affected", "2023-01-15T07:02:03.853Z"],
      ["not_affected", "2023-01-17T01:07:16.853Z"],
    ],
  );
});

test("an empty document has no statements", {
  skip: skipWithoutCorpus(`${DIR}/defectdojo_openvex_no_vuln.json`),
}, () => {
  assert.deepEqual(parse(`${DIR}/defectdojo_openvex_no_vuln.json`).statements, []);
});

test("products with different subcomponents become separate statements; hashes name image digests", () => {
  const doc = openvexFormat.parse(
    {
      "@context": "https://openvex.dev/ns/v0.2.0",
      "@id": "doc-1",
      statements: [
        {
          vulnerability: { name: "CVE-1", aliases: ["GHSA-1"] },
          products: [
            { "@id": "pkg:oci/a@sha256%3Aaa", subcomponents: [{ "@id": "pkg:apk/alpine/x@1" }] },
            { hashes: { "sha-256": "bb" }, subcomponents: ["pkg:apk/alpine/y@2"] },
            { "@id": "pkg:oci/c@sha256%3Acc", subcomponents: [{ "@id": "pkg:apk/alpine/x@1" }] },
          ],
          status: "not_affected",
          justification: "component_not_present",
          status_notes: "checked by hand",
          last_updated: "2024-05-01T00:00:00Z",
          timestamp: "2024-01-01T00:00:00Z",
        },
      ],
    },
    "inline.json",
  );
  assert.deepEqual(
    doc.statements.map((s) => [s.products, s.subcomponents]),
    [
      [["pkg:oci/a@sha256%3Aaa", "pkg:oci/c@sha256%3Acc"], ["pkg:apk/alpine/x@1"]],
      [["sha256:bb"], ["pkg:apk/alpine/y@2"]],
    ],
  );
  assert.equal(doc.statements[0]?.statement, "checked by hand");
  assert.equal(doc.statements[0]?.timestamp, "2024-05-01T00:00:00.000Z");
  assert.deepEqual(doc.statements[0]?.aliases, ["GHSA-1"]);
});

test("broken documents give CIP_REPORT_INVALID naming the path", () => {
  const base = { "@context": "https://openvex.dev/ns/v0.2.0" };
  const cases: [unknown, RegExp][] = [
    [{ ...base, statements: {} }, /expected an array.*\$\.statements/],
    [
      { ...base, statements: [{ products: ["p"], status: "fixed" }] },
      /vulnerability.*\$\.statements\[0\]\.vulnerability/,
    ],
    [
      { ...base, statements: [{ vulnerability: "CVE-1", products: ["p"], status: "mitigated" }] },
      /"mitigated".*\.status/,
    ],
    [
      { ...base, statements: [{ vulnerability: "CVE-1", status: "fixed" }] },
      /at least one product.*\.products/,
    ],
    [
      { ...base, statements: [{ vulnerability: "CVE-1", products: [{}], status: "fixed" }] },
      /no identifier.*products\[0\]/,
    ],
    [{ "@context": "https://example.com" }, /OpenVEX context/],
  ];
  for (const [document, message] of cases) {
    assert.throws(
      () => openvexFormat.parse(document, "bad.json"),
      (e: unknown) =>
        isCipError(e) &&
        e.code === "CIP_REPORT_INVALID" &&
        message.test(e.message) &&
        e.message.includes("bad.json"),
    );
  }
});

test("mutated documents give a CipError or a result, never a crash", {
  skip: skipWithoutCorpus(V020),
}, () => {
  fuzzParser(openvexFormat, readCorpusJson(V020), "fuzz.json", 500, 7);
});

test("detect(): true for every OpenVEX document of the corpus, false for every other corpus file", {
  skip: NO_CORPUS,
}, () => {
  assert.deepEqual(
    claimedBy(openvexFormat),
    // DefectDojo's "not a document" fixture is a plain array, in the OpenVEX folder but no OpenVEX.
    corpusFilesWhere((file) => file.startsWith(`${DIR}/`) && !file.endsWith("not_a_document.json")),
  );
});
