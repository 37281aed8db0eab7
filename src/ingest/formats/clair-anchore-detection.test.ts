import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { test } from "node:test";
import { CORPUS_ROOT, REPO_ROOT, readCorpusJson } from "../../../test/support/corpus.js";
import { mutate, randomValue, seededRandom } from "../../../test/support/fuzz.js";
import { isCipError } from "../../model/index.js";
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

function* jsonFiles(dir: string): Generator<string> {
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) yield* jsonFiles(path);
    else if (entry.endsWith(".json")) yield path;
  }
}

test("detection over the whole corpus: each format claims exactly its files", {
  skip: existsSync(CORPUS_ROOT) ? false : `corpus not found under ${CORPUS_ROOT}`,
}, () => {
  const claimed: Record<string, string[]> = Object.fromEntries(FORMATS.map((f) => [f.id, []]));
  for (const file of jsonFiles(CORPUS_ROOT)) {
    let doc: unknown;
    try {
      doc = JSON.parse(readFileSync(file, "utf8"));
    } catch {
      continue;
    }
    for (const format of FORMATS)
      if (format.detect(doc)) claimed[format.id]?.push(relative(CORPUS_ROOT, file));
  }
  for (const format of FORMATS) assert.deepEqual(claimed[format.id]?.sort(), EXPECTED[format.id], format.id);
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
    if (existsSync(join(CORPUS_ROOT, file))) out.push([format, readCorpusJson(file)]);
  }
  const tail = readCorpusJsonIfPresent("scanners/anchore-engine/vuln/new_format_issue_11552.json");
  if (isRecord(tail) && Array.isArray(tail.securityEvaluation)) {
    out.push([anchoreVulnFormat, { ...tail, securityEvaluation: tail.securityEvaluation.slice(0, 5) }]);
  }
  return out;
}

function readCorpusJsonIfPresent(file: string): unknown {
  return existsSync(join(CORPUS_ROOT, file)) ? readCorpusJson(file) : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

test("mutated and random documents: a report or a clear CipError, never a crash", () => {
  const rnd = seededRandom(42);
  for (const [format, seed] of seeds()) {
    for (let i = 0; i < 400; i++) {
      const doc = i % 5 === 4 ? randomValue(rnd) : mutate(seed, rnd);
      try {
        format.detect(doc);
        format.parse(doc, "fuzz.json");
      } catch (error) {
        assert.ok(
          isCipError(error),
          `${format.id} iteration ${i}: ${(error as Error)?.stack ?? String(error)}`,
        );
        assert.match((error as Error).message, /^Cannot read /);
      }
    }
  }
});
