import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { parseReportText } from "../../src/ingest/read-report.js";
import { REPORT_FORMATS, VEX_FORMATS } from "../../src/ingest/report-formats.js";
import { isCipError } from "../../src/model/index.js";
import { CORPUS_ROOT } from "../support/corpus.js";
import { mutate, randomValue, seededRandom } from "../support/fuzz.js";

// One real document per format family, mutated many times and fed to every parser.
const SAMPLES = [
  "scanners/trivy/upstream/alpine-310.json",
  "scanners/trivy/defectdojo/legacy_trivy_mix.json",
  "scanners/grype/defectdojo/check_all_fields.json",
  "scanners/clair-v4/clair-action_quay-rhel8.json",
  "scanners/klar/clairklar_mixed.json",
  "scanners/clair-scanner/clair_few_vuln.json",
  "scanners/anchore-engine/vuln/many_vulns.json",
  "scanners/snyk",
  "scanners/twistlock/many_vulns.json",
  "sbom/cyclonedx/defectdojo_log4j.json",
  "sbom/spdx/trivy_centos-7-spdx.json",
  "sbom/syft/syft_TestImageEncoder.golden.json",
  "vex/openvex/go-vex_v0.2.0.json",
  "vex/cyclonedx-vex/cisa-case3_vex.json",
  "vex/csaf/trivy_csaf.json",
]
  .map((p) => join(CORPUS_ROOT, p))
  .filter((p) => existsSync(p) && p.endsWith(".json"));

const ITERATIONS_PER_SAMPLE = 150;

/** A parse that throws must throw a CipError saying what could not be read. */
function clear(fn: () => unknown, label: string): void {
  try {
    fn();
  } catch (error) {
    assert.ok(isCipError(error), `${label}: threw ${(error as Error)?.stack ?? String(error)}`);
    assert.match((error as Error).message, /^Cannot /, label);
  }
}

test("every parser, fed mutated and random documents: a clear error or a report, never a crash", {
  skip: SAMPLES.length === 0 ? `corpus not found under ${CORPUS_ROOT}` : false,
}, () => {
  const rnd = seededRandom(7);
  const parsers = [...REPORT_FORMATS, ...VEX_FORMATS];
  for (const path of SAMPLES) {
    const original = JSON.parse(readFileSync(path, "utf8")) as unknown;
    for (let i = 0; i < ITERATIONS_PER_SAMPLE; i++) {
      const doc = i % 10 === 9 ? randomValue(rnd) : mutate(original, rnd);
      for (const format of parsers) {
        // Parsers may be called on documents their detect() rejects: --report-format forces them.
        clear(() => format.parse(doc, "fuzz.json"), `${format.id} on a mutation of ${path} (#${i})`);
      }
    }
  }
});

test("truncated report texts: a clear error naming the file, never a crash", {
  skip: SAMPLES.length === 0 ? "corpus not found" : false,
}, () => {
  const rnd = seededRandom(8);
  for (const path of SAMPLES) {
    const text = readFileSync(path, "utf8");
    for (let i = 0; i < 40; i++) {
      const cut = text.slice(0, Math.floor(rnd() * text.length));
      clear(() => parseReportText(cut, "cut.json"), `truncated ${path}`);
    }
  }
});
