import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { CompiledBundle } from "../src/policy/compile-bundle.js";
import { generateFacts } from "./generate-facts.js";
import { interleavedMedians } from "./timing.js";

// Policy evaluation benchmark: evaluation time as a ratio to JSON.parse of the same facts document,
// both measured in this process (target: at most 0.5). It measures the built package (dist/), as shipped:
// run `npm run build` first (`npm run bench` does).
const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const fromDist = async <T>(path: string): Promise<T> =>
  (await import(pathToFileURL(join(root, "dist", path)).href)) as T;
const { evaluate } = await fromDist<typeof import("../src/policy/evaluate.js")>("policy/evaluate.js");
const { loadBundle } =
  await fromDist<typeof import("../src/service/load-bundle.js")>("service/load-bundle.js");
const { factsFromDocument } =
  await fromDist<typeof import("../src/ingest/facts-document.js")>("ingest/facts-document.js");

const now = new Date("2026-11-22T00:00:00Z");
const VULNS = 5000;

/** Median of `runs` timings (ms) of fn, after warm-up runs. */
function median(fn: () => unknown, runs = 41, warmup = 10): number {
  for (let i = 0; i < warmup; i++) fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    fn();
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] as number;
}

const text = JSON.stringify(generateFacts(VULNS));
const facts = factsFromDocument(JSON.parse(text), "generated");
const parseMs = median(() => JSON.parse(text));
const validateMs = median(() => factsFromDocument(JSON.parse(text), "generated"), 11, 3) - parseMs;

const bundles: [string, string][] = [["default (shipped)", join(root, "policies/default-bundle.yaml")]];
const corpus = resolve(root, "../shared/corpus/policies/anchore");
for (const [name, file] of [
  ["Iron Bank v5.2.4", "modular-policy_ironbank_v5.2.4_bundle.json"],
  ["anchore large_whitelist (2,670 items)", "anchore-engine_bundle-large_whitelist.json"],
] as const) {
  const path = join(corpus, file);
  if (existsSync(path)) bundles.push([name, path]);
  else console.log(`skipped ${name}: corpus file not found at ${path}`);
}

console.log(`facts: ${VULNS} vulnerabilities, ${(text.length / 1e6).toFixed(2)} MB of JSON`);
console.log(`JSON.parse of the facts document (alone, first): ${parseMs.toFixed(2)} ms`);
console.log(`facts validation (schema, after parse):   ${validateMs.toFixed(2)} ms (not part of the ratio)`);
console.log("");
console.log(
  "bundle                                   compile ms   evaluate ms   results   ratio to interleaved JSON.parse (target <= 0.5)",
);
for (const [name, path] of bundles) {
  const source = readFileSync(path, "utf8");
  let compiled: CompiledBundle | undefined;
  const compileMs = median(
    () => {
      compiled = loadBundle(source, path);
    },
    11,
    2,
  );
  if (!compiled) throw new Error(`bundle ${name} did not compile`);
  const bundle = compiled;
  let results = 0;
  const [floorMs, evalMs] = interleavedMedians(
    () => JSON.parse(text),
    () => {
      results = evaluate(bundle, facts, { now, imageRef: "registry.example.com/team/app:2.3.1" }).results
        .length;
    },
    41,
    10,
  );
  const ratio = evalMs / floorMs;
  console.log(
    `${name.padEnd(40)} ${compileMs.toFixed(2).padStart(10)} ${evalMs.toFixed(2).padStart(13)} ${String(results).padStart(9)}   ${ratio.toFixed(2)}x ${ratio <= 0.5 ? "(ok)" : "(over target)"}`,
  );
}
