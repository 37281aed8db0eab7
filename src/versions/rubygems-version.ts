import { compareDigitStrings, compareStrings, isDigitCode, MAX_VERSION_LENGTH } from "./digits.js";
import { ParseCache } from "./parse-cache.js";

/** A segment of a gem version: a number (as its digits) or a word. */
interface Segment {
  numeric: boolean;
  text: string;
}

// Gem::Version's ANCHORED_VERSION_PATTERN.
const GEM_VERSION = /^\s*([0-9]+(?:\.[0-9a-zA-Z]+)*(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?)?\s*$/;

function isZero(segment: Segment): boolean {
  return segment.numeric && /^0+$/.test(segment.text);
}

/**
 * Gem::Version's canonical segments: `-` reads as `.pre.`, digit and letter runs are segments, and
 * trailing zeros are dropped from the numbers before the first word and from the words part.
 */
function parseGemVersion(text: string): Segment[] {
  const source = text.trim().replaceAll("-", ".pre.");
  const segments: Segment[] = [];
  let firstWord = -1;
  for (const run of source.match(/[0-9]+|[a-z]+/gi) ?? []) {
    const numeric = isDigitCode(run.charCodeAt(0));
    if (!numeric && firstWord < 0) firstWord = segments.length;
    segments.push({ numeric, text: run });
  }
  const numbers = firstWord < 0 ? segments : segments.slice(0, firstWord);
  const words = firstWord < 0 ? [] : segments.slice(firstWord);
  while (numbers.length > 0 && isZero(numbers.at(-1) as Segment)) numbers.pop();
  while (words.length > 0 && isZero(words.at(-1) as Segment)) words.pop();
  return numbers.concat(words);
}

const cache = new ParseCache(parseGemVersion);
const ZERO: Segment = { numeric: true, text: "0" };

/** Whether Gem::Version accepts the text (`1.2.3`, `1.0.rc1`, `2.0.0-beta.2`; blank means 0). */
export function isValidRubyGemsVersion(text: string): boolean {
  return text.length <= MAX_VERSION_LENGTH && GEM_VERSION.test(text);
}

/**
 * RubyGems version order, as Gem::Version#<=>: canonical segments compared in turn, missing ones as 0,
 * numbers by value, words by byte order, a word before a number (so `1.0.a` < `1.0`). Returns -1, 0 or 1.
 * A string Gem::Version rejects (see isValidRubyGemsVersion) is read the same way, its digit and letter
 * runs taken as segments, as the OSV tooling does.
 */
export function compareRubyGemsVersions(a: string, b: string): number {
  if (a === b) return 0;
  const x = cache.get(a);
  const y = cache.get(b);
  const length = Math.max(x.length, y.length);
  for (let i = 0; i < length; i++) {
    const left = x[i] ?? ZERO;
    const right = y[i] ?? ZERO;
    if (left.numeric !== right.numeric) return left.numeric ? 1 : -1;
    const diff = left.numeric
      ? compareDigitStrings(left.text, right.text)
      : compareStrings(left.text, right.text);
    if (diff !== 0) return diff;
  }
  return 0;
}
