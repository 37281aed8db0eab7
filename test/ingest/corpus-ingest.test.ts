import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { test } from "node:test";
import { readReport, readVex } from "../../src/ingest/read-report.js";
import { isCipError } from "../../src/model/index.js";
import { CORPUS_ROOT } from "../support/corpus.js";

const FOLDERS = ["scanners", "sbom", "vex"];
// The rule: a corpus file we do not read is refused as unsupported, naming what was detected.
const CLEAR_CODES = new Set(["CIP_REPORT_UNSUPPORTED"]);

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

const missing = FOLDERS.some((f) => !existsSync(join(CORPUS_ROOT, f)));

test("every scanner report, SBOM and VEX file of the corpus is read, or refused with a clear error", {
  skip: missing ? `corpus not found under ${CORPUS_ROOT}` : false,
}, (t) => {
  const outcomes = { read: 0, refused: 0 };
  for (const folder of FOLDERS) {
    for (const path of filesUnder(join(CORPUS_ROOT, folder))) {
      const name = relative(CORPUS_ROOT, path);
      const text = readFileSync(path, "utf8");
      try {
        if (folder === "vex") readVex(text, name);
        else readReport(text, name);
        outcomes.read++;
      } catch (error) {
        assert.ok(isCipError(error), `${name}: crashed with ${(error as Error)?.stack ?? String(error)}`);
        assert.ok(CLEAR_CODES.has(error.code), `${name}: unexpected code ${error.code}: ${error.message}`);
        assert.match(
          error.message,
          new RegExp(`^Cannot read ${name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`),
          `${name}: message names the file`,
        );
        assert.ok(error.hint, `${name}: a refusal says what to do`);
        outcomes.refused++;
        t.diagnostic(`refused ${name}: ${error.message}`);
      }
    }
  }
  t.diagnostic(`read ${outcomes.read}, refused clearly ${outcomes.refused}`);
  assert.ok(outcomes.read > outcomes.refused, "most of the corpus is readable");
});
