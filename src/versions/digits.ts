/** True for the code unit of an ASCII digit. */
export function isDigitCode(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** True for the code unit of an ASCII letter. */
export function isLetterCode(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90);
}

/**
 * Compares two runs of decimal digits by value, `a[aStart, aEnd)` against `b[bStart, bEnd)`, however long:
 * leading zeros are skipped, then the longer run is larger, then the first differing digit decides. An
 * empty run counts as 0. Returns -1, 0 or 1.
 */
export function compareDigitRuns(
  a: string,
  aStart: number,
  aEnd: number,
  b: string,
  bStart: number,
  bEnd: number,
): number {
  // Versions carry numbers beyond 2^53 (dates, hashes cut to digits), so no parseInt.
  while (aStart < aEnd && a.charCodeAt(aStart) === 48) aStart++;
  while (bStart < bEnd && b.charCodeAt(bStart) === 48) bStart++;
  const aLength = aEnd - aStart;
  const bLength = bEnd - bStart;
  if (aLength !== bLength) return aLength < bLength ? -1 : 1;
  for (let k = 0; k < aLength; k++) {
    const diff = a.charCodeAt(aStart + k) - b.charCodeAt(bStart + k);
    if (diff !== 0) return diff < 0 ? -1 : 1;
  }
  return 0;
}

/** Compares two strings of decimal digits by value (see compareDigitRuns). */
export function compareDigitStrings(a: string, b: string): number {
  return compareDigitRuns(a, 0, a.length, b, 0, b.length);
}

/** Compares `a[aStart, aEnd)` with `b[bStart, bEnd)` by code unit, a prefix first. Returns -1, 0 or 1. */
export function compareRanges(
  a: string,
  aStart: number,
  aEnd: number,
  b: string,
  bStart: number,
  bEnd: number,
): number {
  const length = Math.min(aEnd - aStart, bEnd - bStart);
  for (let k = 0; k < length; k++) {
    const diff = a.charCodeAt(aStart + k) - b.charCodeAt(bStart + k);
    if (diff !== 0) return diff < 0 ? -1 : 1;
  }
  return Math.sign(aEnd - aStart - (bEnd - bStart));
}

/** Plain code-unit order of two strings: -1, 0 or 1. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** True when the string is one or more ASCII digits. */
export function isAllDigits(text: string): boolean {
  if (text.length === 0) return false;
  for (let i = 0; i < text.length; i++) if (!isDigitCode(text.charCodeAt(i))) return false;
  return true;
}

/**
 * The longest version text a validity pattern is tried on; real versions are far shorter, and bounding
 * the input bounds the regular expressions' backtracking on hostile strings. Longer texts are invalid.
 */
export const MAX_VERSION_LENGTH = 1024;
