import { compareDigitRuns, compareRanges, isDigitCode, isLetterCode } from "./digits.js";

/** An rpm `[epoch:]version[-release]` split as rpm's parseEVR does; `epoch`/`release` only when present. */
export interface RpmVersion {
  epoch?: string;
  version: string;
  release?: string;
}

const TILDE = 126;
const CARET = 94;

function isAlnumCode(c: number): boolean {
  return isDigitCode(c) || isLetterCode(c);
}

/** rpm's rpmvercmp over `a[i, aEnd)` and `b[j, bEnd)`. */
function vercmp(a: string, i: number, aEnd: number, b: string, j: number, bEnd: number): number {
  while (i < aEnd || j < bEnd) {
    // Separators other than `~` and `^` only split segments.
    while (i < aEnd) {
      const c = a.charCodeAt(i);
      if (isAlnumCode(c) || c === TILDE || c === CARET) break;
      i++;
    }
    while (j < bEnd) {
      const c = b.charCodeAt(j);
      if (isAlnumCode(c) || c === TILDE || c === CARET) break;
      j++;
    }
    const ac = i < aEnd ? a.charCodeAt(i) : -1;
    const bc = j < bEnd ? b.charCodeAt(j) : -1;
    // `~` sorts before everything, even the end of the string.
    if (ac === TILDE || bc === TILDE) {
      if (ac !== TILDE) return 1;
      if (bc !== TILDE) return -1;
      i++;
      j++;
      continue;
    }
    // `^` sorts after the end of the string but before anything else.
    if (ac === CARET || bc === CARET) {
      if (ac < 0) return -1;
      if (bc < 0) return 1;
      if (ac !== CARET) return 1;
      if (bc !== CARET) return -1;
      i++;
      j++;
      continue;
    }
    if (ac < 0 || bc < 0) break;
    const aSegment = i;
    const bSegment = j;
    if (isDigitCode(ac)) {
      while (i < aEnd && isDigitCode(a.charCodeAt(i))) i++;
      while (j < bEnd && isDigitCode(b.charCodeAt(j))) j++;
      // A numeric segment is newer than an alphabetic one.
      if (j === bSegment) return 1;
      const diff = compareDigitRuns(a, aSegment, i, b, bSegment, j);
      if (diff !== 0) return diff;
    } else {
      while (i < aEnd && isLetterCode(a.charCodeAt(i))) i++;
      while (j < bEnd && isLetterCode(b.charCodeAt(j))) j++;
      if (j === bSegment) return -1;
      const diff = compareRanges(a, aSegment, i, b, bSegment, j);
      if (diff !== 0) return diff;
    }
  }
  if (i >= aEnd && j >= bEnd) return 0;
  return i >= aEnd ? -1 : 1;
}

/**
 * rpm's `rpmvercmp` on one version or release string: alphanumeric segments compared in turn (numbers by
 * value, letters by code, a number newer than letters), `~` before anything, `^` after the end but before
 * anything else. Returns -1, 0 or 1.
 */
export function rpmvercmp(a: string, b: string): number {
  if (a === b) return 0;
  return vercmp(a, 0, a.length, b, 0, b.length);
}

// Offsets filled by layoutOf: epoch start/end (-1 when none), version start/end, release start (-1 when none).
const layoutA = new Int32Array(5);
const layoutB = new Int32Array(5);

/** rpm's parseEVR: an epoch is leading digits before a colon, the release follows the last hyphen. */
function layoutOf(text: string, out: Int32Array): void {
  let digitsEnd = 0;
  while (digitsEnd < text.length && isDigitCode(text.charCodeAt(digitsEnd))) digitsEnd++;
  const hasEpoch = text.charCodeAt(digitsEnd) === 58;
  const versionStart = hasEpoch ? digitsEnd + 1 : 0;
  const hyphen = text.lastIndexOf("-");
  out[0] = hasEpoch ? 0 : -1;
  out[1] = hasEpoch ? digitsEnd : -1;
  out[2] = versionStart;
  out[3] = hyphen >= versionStart ? hyphen : text.length;
  out[4] = hyphen >= versionStart ? hyphen + 1 : -1;
}

/** Splits an rpm version into epoch, version and release as rpm's parseEVR does (`:1.0` has epoch ""). */
export function parseRpmVersion(text: string): RpmVersion {
  layoutOf(text, layoutA);
  const version = text.slice(layoutA[2], layoutA[3]);
  const parsed: RpmVersion = { version };
  if ((layoutA[0] as number) >= 0) parsed.epoch = text.slice(layoutA[0], layoutA[1]);
  if ((layoutA[4] as number) >= 0) parsed.release = text.slice(layoutA[4]);
  return parsed;
}

/**
 * RPM version order (Red Hat, AlmaLinux, Rocky, SUSE, openSUSE, Mageia, openEuler, Azure Linux...) over
 * `[epoch:]version[-release]`: epoch by value (absent or empty means 0), then version and release by
 * rpmvercmp; a version without a release sorts before the same version with one, as the OSV tooling has
 * it. Every string is a version here (rpm rejects none). Returns -1, 0 or 1.
 */
export function compareRpmVersions(a: string, b: string): number {
  if (a === b) return 0;
  layoutOf(a, layoutA);
  layoutOf(b, layoutB);
  const aEpoch = layoutA[0] as number;
  const bEpoch = layoutB[0] as number;
  const byEpoch = compareDigitRuns(
    a,
    aEpoch < 0 ? 0 : aEpoch,
    aEpoch < 0 ? 0 : (layoutA[1] as number),
    b,
    bEpoch < 0 ? 0 : bEpoch,
    bEpoch < 0 ? 0 : (layoutB[1] as number),
  );
  if (byEpoch !== 0) return byEpoch;
  const byVersion = vercmp(
    a,
    layoutA[2] as number,
    layoutA[3] as number,
    b,
    layoutB[2] as number,
    layoutB[3] as number,
  );
  if (byVersion !== 0) return byVersion;
  const aRelease = layoutA[4] as number;
  const bRelease = layoutB[4] as number;
  if (aRelease < 0 || bRelease < 0) return aRelease < 0 ? (bRelease < 0 ? 0 : -1) : 1;
  return vercmp(a, aRelease, a.length, b, bRelease, b.length);
}
