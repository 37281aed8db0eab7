import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { test } from "node:test";
import { corpusPath, NO_CORPUS, REPO_ROOT, readCorpusJson } from "../../../test/support/corpus.js";
import { seededRandom } from "../../../test/support/fuzz.js";
import { claimedBy, fuzzParser } from "../../../test/support/ingest.js";
import type { ReportFormat } from "../report-format.js";
import { anchoreVulnFormat } from "./anchore.js";
import { clairLayerFormat } from "./clair-layer.js";
import { clairScannerFormat } from "./clair-scanner.js";
import { clairV4Format } from "./clair-v4.js";
import { klarFormat } from "./klar.js";

const FORMATS: ReportFormat[] = [
  clairV4Format,
  clairLayerFormat,
  klarFormat,
  clairScannerFormat,
  anchoreVulnFormat,
];

// The corpus files each format must claim; every other corpus JSON file must be left to other formats.
const EXPECTED: Record<string, string[]> = {
  "clair-v4": [
    "scanners/clair-v4/clair-action_quay-rhel8.json",
    "scanners/clair-v4/clair-action_report-with-vulns.json",
  ],
  "clair-layer": [],
  klar: [
    "scanners/klar/clairklar_empty.json",
    "scanners/klar/clairklar_high.json",
    "scanners/klar/clairklar_mixed.json",
  ],
  "clair-scanner": [
    "scanners/clair-scanner/clair_empty.json",
    "scanners/clair-scanner/clair_few_vuln.json",
    "scanners/clair-scanner/clair_many_vul.json",
  ],
  // Not vuln/anchorectl_no_vuln.json (`[]`), nor policy-eval/* (policy evaluations, not vulnerability lists).
  anchore: [
    "scanners/anchore-engine/policy-engine-vulns/grype_alpine-test.json",
    "scanners/anchore-engine/policy-engine-vulns/grype_centos-test.json",
    "scanners/anchore-engine/policy-engine-vulns/grype_debian-test.json",
    "scanners/anchore-engine/policy-engine-vulns/legacy_debian-test.json",
    "scanners/anchore-engine/vuln/anchorectl_many_vulns.json",
    "scanners/anchore-engine/vuln/anchorectl_one_vuln.json",
    "scanners/anchore-engine/vuln/many_vulns.json",
    "scanners/anchore-engine/vuln/many_vulns_2.4.1.json",
    "scanners/anchore-engine/vuln/new_format_issue_11552.json",
    "scanners/anchore-engine/vuln/no_vuln.json",
    "scanners/anchore-engine/vuln/one_vuln.json",
    "scanners/anchore-engine/vuln/one_vuln_many_files.json",
  ],
};

test("detection over the whole corpus: each format claims exactly its files", {
  skip: NO_CORPUS,
}, () => {
  for (const format of FORMATS) assert.deepEqual(claimedBy(format), EXPECTED[format.id], format.id);
});

/** Documents to mutate per format: small corpus files where present, our fixtures, inline shapes. */
function seeds(): [ReportFormat, unknown][] {
  const out: [ReportFormat, unknown][] = [
    [
      clairLayerFormat,
      JSON.parse(readFileSync(`${REPO_ROOT}/test/fixtures/clair-layer/debian9-top-layer.json`, "utf8")),
    ],
    [
      clairV4Format,
      {
        manifest_hash: "sha256:1",
        packages: { "1": { id: "1", name: "a", version: "1" } },
        environments: { "1": [{ package_db: "python:usr/lib" }] },
        vulnerabilities: { "2": { id: "2", name: "CVE-1 x", links: "u", fixed_in_version: "fixed=2" } },
        package_vulnerabilities: { "1": ["2"] },
        enrichments: { "x clair.cvss": [{ "2": [{ baseScore: 5, vectorString: "CVSS:3.1/AV:N" }] }] },
        distributions: { "1": { did: "debian", version_id: "12" } },
      },
    ],
  ];
  for (const [format, file] of [
    [klarFormat, "scanners/klar/clairklar_mixed.json"],
    [clairScannerFormat, "scanners/clair-scanner/clair_few_vuln.json"],
    [anchoreVulnFormat, "scanners/anchore-engine/vuln/many_vulns.json"],
    [anchoreVulnFormat, "scanners/anchore-engine/vuln/anchorectl_one_vuln.json"],
    [anchoreVulnFormat, "scanners/anchore-engine/policy-engine-vulns/grype_alpine-test.json"],
  ] as const) {
    if (existsSync(corpusPath(file))) out.push([format, readCorpusJson(file)]);
  }
  const tail = readCorpusJsonIfPresent("scanners/anchore-engine/vuln/new_format_issue_11552.json");
  if (isRecord(tail) && Array.isArray(tail.securityEvaluation)) {
    out.push([anchoreVulnFormat, { ...tail, securityEvaluation: tail.securityEvaluation.slice(0, 5) }]);
  }
  return out;
}

function readCorpusJsonIfPresent(file: string): unknown {
  return existsSync(corpusPath(file)) ? readCorpusJson(file) : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

test("mutated and random documents: a report or a clear CipError, never a crash", () => {
  const rnd = seededRandom(42);
  for (const [format, seed] of seeds())
    fuzzParser(format, seed, "fuzz.json", 400, rnd, { label: format.id, randomEvery: 5 });
});
