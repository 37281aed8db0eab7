import assert from "node:assert/strict";
import { test } from "node:test";
import { NO_CORPUS, readCorpusJson, skipWithoutCorpus } from "../../../test/support/corpus.js";
import { seededRandom } from "../../../test/support/fuzz.js";
import { claimedBy, corpusFilesWhere, fuzzParser } from "../../../test/support/ingest.js";
import { isCipError } from "../../model/index.js";
import { csafVexFormat } from "./csaf.js";

const DIR = "vex/csaf";

function parse(file: string) {
  return csafVexFormat.parse(readCorpusJson(file), file);
}

// Statement counts are product ids over all product_status lists, counted with
// jq '[.vulnerabilities[].product_status | to_entries[] | .value | length] | add'.

test("trivy csaf: a product id resolves to the purl of its identification helper", {
  skip: skipWithoutCorpus(`${DIR}/trivy_csaf.json`),
}, () => {
  const doc = parse(`${DIR}/trivy_csaf.json`);
  assert.equal(doc.format, "csaf");
  assert.equal(doc.id, "2022-EVD-UC-01-A-001");
  assert.deepEqual(doc.statements, [
    {
      vulnerability: "CVE-2024-0001",
      aliases: [],
      products: ["pkg:golang/github.com/aquasecurity/go-transitive@v4.0.0"],
      subcomponents: [],
      status: "not_affected",
      // An impact threat without product_ids speaks for every product.
      statement: "vulnerable_code_not_in_execute_path",
      timestamp: "2022-03-03T11:00:00.000Z",
    },
  ]);
});

test("trivy csaf-relationships: a default_component_of id becomes product + subcomponent; the flag is the justification", {
  skip: skipWithoutCorpus(`${DIR}/trivy_csaf-relationships.json`),
}, () => {
  const [s, ...rest] = parse(`${DIR}/trivy_csaf-relationships.json`).statements;
  assert.equal(rest.length, 0);
  assert.deepEqual(s?.products, ["pkg:golang/github.com/aquasecurity/go-direct1@v2.0.0"]);
  assert.deepEqual(s?.subcomponents, ["pkg:golang/github.com/aquasecurity/go-transitive@v4.0.0"]);
  assert.equal(s?.status, "not_affected");
  assert.equal(s?.justification, "vulnerable_code_cannot_be_controlled_by_adversary");
  assert.equal(s?.timestamp, "2024-01-04T16:17:25.000Z"); // the flag's date
});

test("grype csaf: fixed and not_affected components of a CPE-named product; remediations for the fixed one", {
  skip: skipWithoutCorpus(`${DIR}/grype_csaf-vex.json`),
}, () => {
  const statements = parse(`${DIR}/grype_csaf-vex.json`).statements;
  assert.deepEqual(
    statements.map((s) => [s.status, s.products, s.subcomponents]),
    [
      ["not_affected", ["cpe:/a:redhat:hummingbird:1"], ["pkg:rpm/redhat/otherpkg"]],
      ["fixed", ["cpe:/a:redhat:hummingbird:1"], ["pkg:rpm/redhat/testpkg@1.2.3-1.hum1?arch=src"]],
    ],
  );
  assert.doesNotMatch(statements[0]?.statement ?? "", /vendor_fix/);
  assert.match(
    statements[1]?.statement ?? "",
    /vendor_fix: Update to latest version \(https:\/\/access\.redhat\.com\/errata\/RHSA-2026:1234\)/,
  );
});

test("go-vex csaf: 4 statements; unknown product ids are kept as written", {
  skip: skipWithoutCorpus(`${DIR}/go-vex_csaf.json`),
}, () => {
  const statements = parse(`${DIR}/go-vex_csaf.json`).statements;
  assert.deepEqual(
    statements.map((s) => [s.vulnerability, s.status, s.products[0]]),
    [
      ["CVE-2009-4487", "not_affected", "pkg:maven/@1.3.4"],
      ["CVE-2009-4487", "affected", "ABC:CSAFPID-0002"],
      ["CVE-2009-4488", "not_affected", "pkg:maven/@1.3.4"],
      ["CVE-2009-4488", "affected", "ABC:CSAFPID-0002"],
    ],
  );
  assert.equal(statements[0]?.statement, "Class with vulnerable code was removed before shipping.");
});

test("ids, product groups, full_product_names and statuses other than the four main lists", () => {
  const doc = csafVexFormat.parse(
    {
      document: { category: "csaf_vex", publisher: { name: "ACME" } },
      product_tree: {
        full_product_names: [
          {
            product_id: "P1",
            name: "img",
            product_identification_helper: { purl: "pkg:oci/img@sha256%3Aab" },
          },
        ],
        product_groups: [{ group_id: "G", product_ids: ["P1"] }],
      },
      vulnerabilities: [
        {
          ids: [{ system_name: "GHSA", text: "GHSA-1" }],
          product_status: { first_fixed: ["P1"], under_investigation: ["P2"] },
          flags: [{ label: "component_not_present", group_ids: ["G"] }],
        },
      ],
    },
    "inline.json",
  );
  assert.equal(doc.id, "ACME");
  assert.deepEqual(
    doc.statements.map((s) => [s.vulnerability, s.status, s.products, s.justification]),
    [
      ["GHSA-1", "fixed", ["pkg:oci/img@sha256%3Aab"], "component_not_present"],
      ["GHSA-1", "under_investigation", ["P2"], undefined],
    ],
  );
});

test("broken documents give CIP_REPORT_INVALID naming the path", () => {
  const base = { document: { category: "csaf_vex" } };
  const cases: [unknown, RegExp][] = [
    [
      { ...base, vulnerabilities: [{ product_status: { fixed: ["x"] } }] },
      /needs a cve.*\$\.vulnerabilities\[0\]/,
    ],
    [
      { ...base, vulnerabilities: [{ cve: "CVE-1", product_status: { fixed: [1.5, {}] } }] },
      /product_status\.fixed\[1\]/,
    ],
    [{ ...base, vulnerabilities: [{ cve: "CVE-1", flags: {} }] }, /expected an array.*\.flags/],
    [
      { ...base, product_tree: { branches: [{ product: {} }] } },
      /\$\.product_tree\.branches\[0\]\.product\.product_id/,
    ],
    [
      { ...base, product_tree: { relationships: [{ product_reference: "a" }] } },
      /relates_to_product_reference/,
    ],
    [{ document: "x" }, /\$\.document/],
  ];
  for (const [document, message] of cases) {
    assert.throws(
      () => csafVexFormat.parse(document, "bad.json"),
      (e: unknown) => isCipError(e) && e.code === "CIP_REPORT_INVALID" && message.test(e.message),
    );
  }
});

test("mutated documents give a CipError or a result, never a crash", {
  skip: skipWithoutCorpus(`${DIR}/grype_csaf-vex.json`, `${DIR}/trivy_csaf-relationships.json`),
}, () => {
  const rnd = seededRandom(13);
  for (const file of [`${DIR}/grype_csaf-vex.json`, `${DIR}/trivy_csaf-relationships.json`])
    fuzzParser(csafVexFormat, readCorpusJson(file), "fuzz.json", 300, rnd, { label: file });
});

test("detect(): true for every CSAF VEX document of the corpus, false for every other corpus file", {
  skip: NO_CORPUS,
}, () => {
  assert.deepEqual(
    claimedBy(csafVexFormat),
    corpusFilesWhere((file) => file.startsWith(`${DIR}/`)),
  );
});
