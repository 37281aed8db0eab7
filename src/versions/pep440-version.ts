import { compareDigitStrings, compareStrings, isAllDigits, MAX_VERSION_LENGTH } from "./digits.js";
import { ParseCache } from "./parse-cache.js";

// PEP 440's version grammar (its appendix B), matched case-insensitively and with surrounding blanks.
const PEP440 =
  /^\s*v?(?:(?:([0-9]+)!)?([0-9]+(?:\.[0-9]+)*)(?:[-_.]?(alpha|a|beta|b|preview|pre|c|rc)[-_.]?([0-9]+)?)?(?:-([0-9]+)|[-_.]?(post|rev|r)[-_.]?([0-9]+)?)?(?:[-_.]?(dev)[-_.]?([0-9]+)?)?)(?:\+([a-z0-9]+(?:[-_.][a-z0-9]+)*))?\s*$/i;

/** A PEP 440 version, or for a string PEP 440 rejects, the legacy (pre-PEP 440 setuptools) key. */
interface Pep440Parts {
  legacy?: string;
  epoch: string;
  release: string[];
  // Pre-release phase rank (0 a, 1 b, 2 rc) and number; undefined when there is none.
  preRank?: number;
  preNumber: string;
  postNumber?: string;
  devNumber?: string;
  local?: string[];
}

const PRE_RANKS: Record<string, number> = { a: 0, alpha: 0, b: 1, beta: 1, c: 2, rc: 2, pre: 2, preview: 2 };

/** setuptools' legacy key: parts normalised so plain string order sorts them (`@` dev < `c` rc < final). */
function legacyKey(text: string): string {
  const parts: string[] = [];
  const pieces: string[] = [...(text.toLowerCase().match(/\d+|[a-z]+|\.|-/g) ?? [])];
  pieces.push("final");
  for (const raw of pieces) {
    if (raw === ".") continue;
    let part: string;
    if (raw === "pre" || raw === "preview" || raw === "rc") part = "*c";
    else if (raw === "-") part = "*final-";
    else if (raw === "dev") part = "*@";
    else if (isAllDigits(raw)) part = raw.padStart(8, "0");
    else part = `*${raw}`;
    if (part.startsWith("*")) {
      // A pre-release tag drops the `-` before it; any tag drops the zeros before it.
      if (part < "*final") while (parts.at(-1) === "*final-") parts.pop();
      while (parts.at(-1) === "00000000") parts.pop();
    }
    parts.push(part);
  }
  return parts.join("");
}

function parsePep440(text: string): Pep440Parts {
  const m = text.length <= MAX_VERSION_LENGTH ? PEP440.exec(text) : null;
  if (m === null) return { legacy: legacyKey(text), epoch: "0", release: [], preNumber: "" };
  const release = (m[2] as string).split(".");
  // Trailing zeros do not count: 1.0 == 1.0.0.
  while (release.length > 1 && /^0+$/.test(release.at(-1) as string)) release.pop();
  const parts: Pep440Parts = { epoch: m[1] ?? "0", release, preNumber: m[4] ?? "0" };
  if (m[3] !== undefined) parts.preRank = PRE_RANKS[m[3].toLowerCase()];
  if (m[5] !== undefined) parts.postNumber = m[5];
  else if (m[6] !== undefined) parts.postNumber = m[7] ?? "0";
  if (m[8] !== undefined) parts.devNumber = m[9] ?? "0";
  if (m[10] !== undefined) parts.local = m[10].toLowerCase().split(/[-_.]/);
  return parts;
}

const cache = new ParseCache(parsePep440);

// Where the pre-release part sorts: a dev release of the release itself (1.0.dev0) before any pre-release.
function preKey(v: Pep440Parts): number {
  if (v.preRank !== undefined) return v.preRank;
  return v.postNumber === undefined && v.devNumber !== undefined ? -1 : 3;
}

function compareOptionalNumbers(a: string | undefined, b: string | undefined, absentFirst: boolean): number {
  if (a === undefined || b === undefined) {
    if (a === b) return 0;
    return (a === undefined) === absentFirst ? -1 : 1;
  }
  return compareDigitStrings(a, b);
}

function compareLocal(a: string[] | undefined, b: string[] | undefined): number {
  if (a === undefined || b === undefined) {
    if (a === b) return 0;
    return a === undefined ? -1 : 1;
  }
  const shared = Math.min(a.length, b.length);
  for (let i = 0; i < shared; i++) {
    const x = a[i] as string;
    const y = b[i] as string;
    const xNumeric = isAllDigits(x);
    const yNumeric = isAllDigits(y);
    // Numeric segments compare by value and sort after alphanumeric ones.
    const diff =
      xNumeric && yNumeric
        ? compareDigitStrings(x, y)
        : xNumeric !== yNumeric
          ? xNumeric
            ? 1
            : -1
          : compareStrings(x, y);
    if (diff !== 0) return diff;
  }
  return Math.sign(a.length - b.length);
}

/** Whether the text is a version PEP 440 accepts (any spelling it normalises, e.g. `1.0-RC1`, `v2`). */
export function isValidPep440Version(text: string): boolean {
  return text.length <= MAX_VERSION_LENGTH && PEP440.test(text);
}

/**
 * PEP 440 version order (PyPI), as Python's `packaging.version`: epoch, release (trailing zeros ignored),
 * pre-release (`.devN` of the release first, then a < b < rc, then none), post-release, dev release, then
 * the local label (`+ubuntu1`, after the plain version). Returns -1, 0 or 1. A string PEP 440 rejects
 * (see isValidPep440Version) sorts before every valid version, and such strings order among themselves by
 * setuptools' legacy scheme, as the OSV tooling does.
 */
export function comparePep440Versions(a: string, b: string): number {
  if (a === b) return 0;
  const x = cache.get(a);
  const y = cache.get(b);
  if (x.legacy !== undefined || y.legacy !== undefined) {
    if (x.legacy === undefined || y.legacy === undefined) return x.legacy === undefined ? 1 : -1;
    return compareStrings(x.legacy, y.legacy);
  }
  const byEpoch = compareDigitStrings(x.epoch, y.epoch);
  if (byEpoch !== 0) return byEpoch;
  const releases = Math.max(x.release.length, y.release.length);
  for (let i = 0; i < releases; i++) {
    const diff = compareDigitStrings(x.release[i] ?? "", y.release[i] ?? "");
    if (diff !== 0) return diff;
  }
  const xPre = preKey(x);
  const yPre = preKey(y);
  if (xPre !== yPre) return xPre < yPre ? -1 : 1;
  if (x.preRank !== undefined) {
    const diff = compareDigitStrings(x.preNumber, y.preNumber);
    if (diff !== 0) return diff;
  }
  return (
    compareOptionalNumbers(x.postNumber, y.postNumber, true) ||
    compareOptionalNumbers(x.devNumber, y.devNumber, false) ||
    compareLocal(x.local, y.local)
  );
}
