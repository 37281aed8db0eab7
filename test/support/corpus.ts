import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** Root of the repository. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/** The shared corpus of third-party data (never committed), beside the repository. */
export const CORPUS_ROOT = resolve(REPO_ROOT, "../shared/corpus");

/** Absolute path of a corpus file. */
export function corpusPath(relative: string): string {
  return join(CORPUS_ROOT, relative);
}

/**
 * The `skip` option for a test needing corpus files: false when present, else a message node:test
 * prints, so a missing corpus is visible in the output rather than silently passing.
 */
export function skipWithoutCorpus(...relatives: string[]): false | string {
  const missing = relatives.find((r) => !existsSync(corpusPath(r)));
  return missing === undefined ? false : `corpus file ${missing} not found under ${CORPUS_ROOT}`;
}

/** The `skip` option for a test over the whole corpus: false when the corpus is there, else why not. */
export const NO_CORPUS: false | string = existsSync(CORPUS_ROOT)
  ? false
  : `corpus not found under ${CORPUS_ROOT}`;

/** Reads and parses a JSON corpus file. */
export function readCorpusJson(relative: string): unknown {
  return JSON.parse(readFileSync(corpusPath(relative), "utf8"));
}
