import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { factsFromDocument } from "../../src/ingest/facts-document.js";
import { parseDocumentText } from "../../src/ingest/parse-document.js";
import { isCipError } from "../../src/model/index.js";
import { compileBundle } from "../../src/policy/compile-bundle.js";
import { evaluate } from "../../src/policy/evaluate.js";
import { gatherFacts } from "../../src/service/gather-facts.js";
import { loadBundle } from "../../src/service/load-bundle.js";
import { REPO_ROOT } from "../support/corpus.js";
import { mutate, randomValue, seededRandom } from "../support/fuzz.js";
import { TEST_NOW } from "../support/gates.js";

const BUNDLE_TEXT = readFileSync(`${REPO_ROOT}/policies/default-bundle.yaml`, "utf8");
const BUNDLE = parseDocumentText(BUNDLE_TEXT, "default-bundle.yaml");
const FACTS_TEXT = readFileSync(`${REPO_ROOT}/examples/webapp.facts.json`, "utf8");
const FACTS = JSON.parse(FACTS_TEXT) as unknown;
const ITERATIONS = 1500;

/** Runs fn; a CipError is a clear refusal, anything else thrown is a bug. */
function refusesClearly(fn: () => unknown, label: string): void {
  try {
    fn();
  } catch (error) {
    assert.ok(isCipError(error), `${label}: threw ${(error as Error)?.stack ?? String(error)}`);
    assert.match((error as Error).message, /^Cannot /, `${label}: message should say what could not be done`);
  }
}

test("truncated and byte-flipped bundle and facts texts: a clear CipError or a result, never a crash", () => {
  const rnd = seededRandom(1);
  for (let i = 0; i < ITERATIONS; i++) {
    for (const [text, load] of [
      [BUNDLE_TEXT, (t: string) => loadBundle(t, "fuzz.yaml")],
      [
        FACTS_TEXT,
        (t: string) => gatherFacts({ facts: { text: t, source: "fuzz.json" }, reports: [], vex: [] }),
      ],
    ] as const) {
      let t = text.slice(0, Math.floor(rnd() * text.length));
      if (rnd() < 0.5) {
        const at = Math.floor(rnd() * Math.max(1, t.length));
        t = t.slice(0, at) + String.fromCharCode(Math.floor(rnd() * 128)) + t.slice(at + 1);
      }
      refusesClearly(() => load(t), `iteration ${i}: ${JSON.stringify(t.slice(-40))}`);
    }
  }
});

test("mutated bundle structures: problems with a location, never an exception; what compiles evaluates", () => {
  const rnd = seededRandom(2);
  const facts = factsFromDocument(FACTS, "example");
  for (let i = 0; i < ITERATIONS; i++) {
    const doc = mutate(BUNDLE, rnd);
    const { compiled, problems } = compileBundle(doc);
    if (compiled) {
      const d = evaluate(compiled, facts, { now: TEST_NOW, imageRef: "ghcr.io/example/webapp:1.4.2" });
      assert.ok(["go", "warn", "stop"].includes(d.finalAction));
    } else {
      assert.ok(problems.length > 0, `iteration ${i}: no bundle and no problem`);
      for (const p of problems.filter((x) => x.level === "error")) {
        assert.ok(
          p.path || p.policyId || p.mappingId || p.allowlistId,
          `iteration ${i}: problem without location: ${p.message}`,
        );
      }
    }
  }
});

test("mutated facts documents and random JSON: a clear CIP_FACTS_INVALID or valid facts", () => {
  const rnd = seededRandom(3);
  for (let i = 0; i < ITERATIONS; i++) {
    const doc = rnd() < 0.8 ? mutate(FACTS, rnd) : randomValue(rnd);
    refusesClearly(() => factsFromDocument(doc, "fuzz.json"), `iteration ${i}`);
  }
});
