import { compareDigitRuns, compareStrings, isDigitCode, isLetterCode } from "./digits.js";

/** A dpkg version split as `[epoch:]upstream[-revision]`; `epoch` only when the text carries one. */
export interface DpkgVersion {
  epoch?: string;
  upstream: string;
  revision: string;
}

// Offsets of the parts of a version, filled by layoutOf: epoch start/end (-1 when none), upstream, revision.
const EPOCH_START = 0;
const EPOCH_END = 1;
const UPSTREAM_START = 2;
const UPSTREAM_END = 3;
const REVISION_START = 4;
const REVISION_END = 5;

// Two scratch layouts so a comparison allocates nothing (comparisons never nest).
const layoutA = new Int32Array(6);
const layoutB = new Int32Array(6);

function isSpaceCode(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

/**
 * Fills `out` with the parts of `text` as dpkg's parseversion splits it (surrounding blanks ignored, epoch
 * before the first colon, revision after the last hyphen); false when dpkg rejects the version.
 */
function layoutOf(text: string, out: Int32Array): boolean {
  let start = 0;
  let end = text.length;
  while (start < end && isSpaceCode(text.charCodeAt(start))) start++;
  while (end > start && isSpaceCode(text.charCodeAt(end - 1))) end--;
  if (start === end) return false;
  let colon = -1;
  let hyphen = -1;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (isSpaceCode(c)) return false;
    if (c === 58 && colon < 0) colon = i;
    else if (c === 45) hyphen = i;
  }
  let upstreamStart = start;
  out[EPOCH_START] = -1;
  out[EPOCH_END] = -1;
  if (colon >= 0) {
    // The epoch must be a number, and something must follow the colon.
    if (colon === start || colon + 1 === end) return false;
    for (let i = start; i < colon; i++) if (!isDigitCode(text.charCodeAt(i))) return false;
    out[EPOCH_START] = start;
    out[EPOCH_END] = colon;
    upstreamStart = colon + 1;
  }
  if (hyphen >= upstreamStart) {
    if (hyphen === upstreamStart || hyphen + 1 === end) return false;
    out[UPSTREAM_START] = upstreamStart;
    out[UPSTREAM_END] = hyphen;
    out[REVISION_START] = hyphen + 1;
    out[REVISION_END] = end;
  } else {
    out[UPSTREAM_START] = upstreamStart;
    out[UPSTREAM_END] = end;
    out[REVISION_START] = end;
    out[REVISION_END] = end;
  }
  return true;
}

// dpkg's weight of a non-digit character code, or of the end (-1): `~` before the end, letters before symbols.
function weight(c: number): number {
  if (c < 0) return 0;
  if (isLetterCode(c)) return c;
  if (c === 126) return -1;
  return c + 256;
}

/** dpkg's verrevcmp over `a[i, aEnd)` and `b[j, bEnd)`: alternating non-digit and digit runs. */
function compareRuns(a: string, i: number, aEnd: number, b: string, j: number, bEnd: number): number {
  while (i < aEnd || j < bEnd) {
    for (;;) {
      const ac = i < aEnd ? a.charCodeAt(i) : -1;
      const bc = j < bEnd ? b.charCodeAt(j) : -1;
      const aText = ac >= 0 && !isDigitCode(ac);
      const bText = bc >= 0 && !isDigitCode(bc);
      if (!aText && !bText) break;
      const diff = weight(aText ? ac : -1) - weight(bText ? bc : -1);
      if (diff !== 0) return diff < 0 ? -1 : 1;
      i++;
      j++;
    }
    // Numbers by value: skip leading zeros, then the longer run wins, else the first differing digit.
    while (i < aEnd && a.charCodeAt(i) === 48) i++;
    while (j < bEnd && b.charCodeAt(j) === 48) j++;
    let firstDiff = 0;
    for (;;) {
      const aDigit = i < aEnd && isDigitCode(a.charCodeAt(i));
      const bDigit = j < bEnd && isDigitCode(b.charCodeAt(j));
      if (!aDigit || !bDigit) {
        if (aDigit) return 1;
        if (bDigit) return -1;
        break;
      }
      if (firstDiff === 0) firstDiff = a.charCodeAt(i) - b.charCodeAt(j);
      i++;
      j++;
    }
    if (firstDiff !== 0) return firstDiff < 0 ? -1 : 1;
  }
  return 0;
}

/**
 * Compares one part (upstream version or revision) of two dpkg versions with dpkg's verrevcmp: -1, 0 or 1.
 * An empty part equals `0`.
 */
export function compareDpkgParts(a: string, b: string): number {
  return compareRuns(a, 0, a.length, b, 0, b.length);
}

/** Whether dpkg accepts the version: a numeric epoch if any, non-empty parts, no inner blanks. */
export function isValidDpkgVersion(text: string): boolean {
  return layoutOf(text, layoutA);
}

/** Splits a dpkg version into epoch, upstream version and revision; undefined when dpkg rejects it. */
export function parseDpkgVersion(text: string): DpkgVersion | undefined {
  if (!layoutOf(text, layoutA)) return undefined;
  const upstream = text.slice(layoutA[UPSTREAM_START], layoutA[UPSTREAM_END]);
  const revision = text.slice(layoutA[REVISION_START], layoutA[REVISION_END]);
  const epochStart = layoutA[EPOCH_START] as number;
  return epochStart < 0
    ? { upstream, revision }
    : { epoch: text.slice(epochStart, layoutA[EPOCH_END]), upstream, revision };
}

/**
 * dpkg version order (Debian, Ubuntu), as `dpkg --compare-versions`: epoch (0 when absent), then upstream
 * version, then revision (absent equals `0`), each part by verrevcmp with `~` before everything. Returns
 * -1, 0 or 1. A version dpkg rejects (see isValidDpkgVersion) sorts before every valid one; two rejected
 * versions compare by plain string order.
 */
export function compareDpkgVersions(a: string, b: string): number {
  if (a === b) return 0;
  const aValid = layoutOf(a, layoutA);
  const bValid = layoutOf(b, layoutB);
  if (!aValid || !bValid) {
    if (aValid !== bValid) return aValid ? 1 : -1;
    return compareStrings(a, b);
  }
  const aEpoch = layoutA[EPOCH_START] as number;
  const bEpoch = layoutB[EPOCH_START] as number;
  const byEpoch = compareDigitRuns(
    a,
    aEpoch < 0 ? 0 : aEpoch,
    aEpoch < 0 ? 0 : (layoutA[EPOCH_END] as number),
    b,
    bEpoch < 0 ? 0 : bEpoch,
    bEpoch < 0 ? 0 : (layoutB[EPOCH_END] as number),
  );
  if (byEpoch !== 0) return byEpoch;
  return (
    compareRuns(
      a,
      layoutA[UPSTREAM_START] as number,
      layoutA[UPSTREAM_END] as number,
      b,
      layoutB[UPSTREAM_START] as number,
      layoutB[UPSTREAM_END] as number,
    ) ||
    compareRuns(
      a,
      layoutA[REVISION_START] as number,
      layoutA[REVISION_END] as number,
      b,
      layoutB[REVISION_START] as number,
      layoutB[REVISION_END] as number,
    )
  );
}
