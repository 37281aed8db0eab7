import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import type { ParsedReport } from "../../src/ingest/parsed-report.js";
import { CipError, type Vulnerability } from "../../src/model/index.js";
import { CORPUS_ROOT } from "./corpus.js";
import { mutate, randomValue, seededRandom } from "./fuzz.js";

/** One parseable JSON file of the corpus: its path relative to the corpus root and its parsed content. */
export interface CorpusDocument {
  file: string;
  document: unknown;
}

/** What the helpers below need of a report or VEX format. */
export interface FormatUnderTest {
  id?: string;
  detect(document: unknown): boolean;
  parse(document: unknown, source: string): unknown;
}

let cache: CorpusDocument[] | undefined;

/**
 * Every file under the corpus (or under the given corpus folders) that parses as JSON, whatever its
 * name, sorted by its path relative to the corpus root. Files that are not JSON (CSV, XML, tar, the
 * one broken `.json` manifest) are skipped: the reader refuses them before any format's detection.
 * The whole corpus is read once per test process and cached.
 */
export function corpusDocuments(folders?: readonly string[]): CorpusDocument[] {
  cache ??= readCorpus();
  if (folders === undefined) return cache;
  return cache.filter(({ file }) => folders.some((folder) => file.startsWith(`${folder}/`)));
}

function readCorpus(): CorpusDocument[] {
  const out: CorpusDocument[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else {
        let document: unknown;
        try {
          document = JSON.parse(readFileSync(path, "utf8"));
        } catch {
          continue; // Not JSON: no format can claim it.
        }
        out.push({ file: relative(CORPUS_ROOT, path), document });
      }
    }
  };
  walk(CORPUS_ROOT);
  return out.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
}

/** The corpus files (relative, sorted) whose document the format's detect() claims. */
export function claimedBy(format: Pick<FormatUnderTest, "detect">): string[] {
  return corpusDocuments()
    .filter(({ document }) => format.detect(document))
    .map(({ file }) => file);
}

/** The corpus files (relative, sorted) for which `expected` holds: what a detect() should claim. */
export function corpusFilesWhere(expected: (file: string) => boolean): string[] {
  return corpusDocuments()
    .map(({ file }) => file)
    .filter(expected);
}

/** How many items fall under each key. */
export function countBy<T>(items: readonly T[], key: (item: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const item of items) out[key(item)] = (out[key(item)] ?? 0) + 1;
  return out;
}

function findingsOf(from: ParsedReport | readonly Vulnerability[] | undefined): readonly Vulnerability[] {
  if (from === undefined) return [];
  return Array.isArray(from) ? from : ((from as ParsedReport).vulnerabilities ?? []);
}

/** The number of findings per severity, of a report or of a list of findings. */
export function severityCounts(
  from: ParsedReport | readonly Vulnerability[] | undefined,
): Record<string, number> {
  return countBy(findingsOf(from), (v) => v.severity);
}

/** The finding with this id (and package name, when given), failing the test when there is none. */
export function findFinding(
  from: ParsedReport | readonly Vulnerability[] | undefined,
  id: string,
  pkg?: string,
): Vulnerability {
  const found = findingsOf(from).find((v) => v.id === id && (pkg === undefined || v.package.name === pkg));
  assert.ok(found, `${id} ${pkg ?? ""} not found`);
  return found;
}

/** Options of {@link fuzzParser}. */
export interface FuzzOptions {
  /** Names the case in failure messages (default: the format id and the source). */
  label?: string;
  /** Every n-th iteration (i % n === n - 1) tries a wholly random value instead of a mutation. */
  randomEvery?: number;
}

/**
 * Mutates `document` `iterations` times (test/support/fuzz.ts) and hands each result to the format's
 * detect() and parse(): each must return, or throw a CipError whose message starts with "Cannot read ".
 * `seed` is a seed or a generator; pass one generator to several calls to continue one sequence.
 */
export function fuzzParser(
  format: FormatUnderTest,
  document: unknown,
  source: string,
  iterations: number,
  seed: number | (() => number),
  options: FuzzOptions = {},
): void {
  const rnd = typeof seed === "number" ? seededRandom(seed) : seed;
  const label = options.label ?? `${format.id ?? "format"} ${source}`;
  const every = options.randomEvery;
  for (let i = 0; i < iterations; i++) {
    const mutated = every !== undefined && i % every === every - 1 ? randomValue(rnd) : mutate(document, rnd);
    try {
      format.detect(mutated);
      format.parse(mutated, source);
    } catch (error) {
      assert.ok(
        error instanceof CipError,
        `${label} iteration ${i}: ${(error as Error)?.stack ?? String(error)}`,
      );
      assert.match(error.message, /^Cannot read /, `${label} iteration ${i}`);
    }
  }
}
