import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { test } from "node:test";
import { CORPUS_ROOT, corpusPath, NO_CORPUS } from "../../../test/support/corpus.js";
import { randomValue, seededRandom } from "../../../test/support/fuzz.js";
import { corpusDocuments } from "../../../test/support/ingest.js";
import { UNSUPPORTED_FORMATS } from "./unsupported.js";

/** Corpus folders (or file suffixes within one) of outputs we refuse, with the name the refusal must give. */
const EXPECTED: { where: string; suffix?: string; names: RegExp }[] = [
  { where: "scanners/aqua", names: /^Aqua Security/ },
  { where: "scanners/dockle", names: /^Dockle/ },
  { where: "scanners/jfrog-xray", names: /^JFrog Xray/ },
  { where: "scanners/neuvector", names: /^NeuVector/ },
  { where: "scanners/osv-scanner", names: /^osv-scanner/ },
  { where: "scanners/sysdig", names: /Sysdig/ },
  { where: "scanners/wiz", names: /^wizcli/ },
  { where: "scanners/trivy-operator", names: /^a Trivy Operator VulnerabilityReport$/ },
  // anchorectl_no_violation.json is the bare `[]` anchorectl prints.
  { where: "scanners/anchore-engine/policy-eval", names: /Anchore policy evaluation|empty JSON array/ },
  { where: "scanners/clair-v4/schemas", names: /JSON Schema|OpenAPI/ },
  { where: "scanners/clair-v4/api-examples", names: /Clair v4/ },
  { where: "sbom/attestations", names: /in-toto attestation/ },
  { where: "scanners/trivy/upstream", suffix: ".sarif.json", names: /^Trivy's SARIF output$/ },
  { where: "scanners/trivy/upstream", suffix: ".gitlab.json", names: /^Trivy's GitLab/ },
  { where: "webhooks/harbor", names: /^a Harbor webhook event$/ },
  { where: "webhooks/distribution-registry", names: /^a Docker registry notification$/ },
  { where: "webhooks/dockerhub", names: /^a Docker Hub webhook payload$/ },
  { where: "webhooks/clair-v4", names: /^a Clair v4 notification/ },
];

function filesUnder(relativeDir: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else out.push(relative(CORPUS_ROOT, path));
    }
  };
  if (existsSync(corpusPath(relativeDir))) walk(corpusPath(relativeDir));
  return out.sort();
}

function recognise(document: unknown): string | undefined {
  return UNSUPPORTED_FORMATS.find((f) => f.detect(document))?.name;
}

test("every file of the refused tools' corpus folders is recognised and named", { skip: NO_CORPUS }, () => {
  const wrong: string[] = [];
  let checked = 0;
  for (const { where, suffix, names } of EXPECTED) {
    const files = filesUnder(where).filter((f) => suffix === undefined || f.endsWith(suffix));
    assert.ok(files.length > 0, `no corpus files under ${where}${suffix ?? ""}`);
    for (const file of files) {
      checked++;
      const name = recognise(JSON.parse(readFileSync(corpusPath(file), "utf8")));
      if (name === undefined || !names.test(name)) wrong.push(`${file}: ${name ?? "not recognised"}`);
    }
  }
  assert.deepEqual(wrong, []);
  // 5 aqua, 1 dockle, 1 xray, 3 neuvector, 2 osv-scanner, 2 sysdig, 3 wiz, 4 trivy-operator, 9 policy-eval,
  // 6 schemas, 8 api-examples, 4 attestations, 1 SARIF, 1 GitLab, 5 + 3 + 1 + 2 webhooks.
  assert.equal(checked, 61);
});

test("no recogniser claims a scanner report, SBOM or VEX document we read", { skip: NO_CORPUS }, () => {
  const refused = EXPECTED.map((e) => e.where);
  const claimed: string[] = [];
  for (const { file, document } of corpusDocuments(["scanners", "sbom", "vex"])) {
    if (refused.some((where) => file.startsWith(`${where}/`)) || /\.(sarif|gitlab)\.json$/.test(file))
      continue;
    // anchorectl prints `[]` for an image without vulnerabilities too; the Anchore format, tried first, decides.
    if (file === "scanners/anchore-engine/vuln/anchorectl_no_vuln.json") continue;
    const name = recognise(document);
    if (name !== undefined) claimed.push(`${file}: ${name}`);
  }
  assert.deepEqual(claimed, []);
});

test("every recogniser has a name and a hint saying what to do instead", () => {
  const names = new Set<string>();
  for (const format of UNSUPPORTED_FORMATS) {
    assert.ok(format.name.length > 0 && format.hint.length > 10, format.name);
    assert.ok(!names.has(format.name), `duplicate name ${format.name}`);
    names.add(format.name);
  }
  const dsse = UNSUPPORTED_FORMATS.find((f) => f.name.includes("DSSE"));
  assert.match(dsse?.hint ?? "", /in-toto attestation; extract its predicate/);
  assert.match(
    UNSUPPORTED_FORMATS.find((f) => f.name === "Trivy's SARIF output")?.hint ?? "",
    /--format json/,
  );
});

test("recognisers are cheap shape tests that never throw on odd JSON", () => {
  const rnd = seededRandom(5);
  const odd: unknown[] = [
    null,
    0,
    "x",
    [],
    [null],
    [[]],
    {},
    { runs: null },
    { report: [] },
    { result: [null] },
  ];
  for (let i = 0; i < 2000; i++) odd.push(randomValue(rnd));
  for (const document of odd) {
    for (const format of UNSUPPORTED_FORMATS) {
      assert.doesNotThrow(() => format.detect(document), format.name);
    }
  }
});
