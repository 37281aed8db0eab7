import {
  compareDigitStrings,
  compareStrings,
  isAllDigits,
  isDigitCode,
  MAX_VERSION_LENGTH,
} from "./digits.js";
import { ParseCache } from "./parse-cache.js";

/** A version read the SemVer way: up to three numbers and the pre-release identifiers (none for a release). */
interface SemverParts {
  core: string[];
  prerelease: string[] | undefined;
}

// SemVer 2.0.0's own grammar (semver.org), with the `v` Go puts in front.
const STRICT_SEMVER =
  /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

/**
 * Reads any string leniently, as the OSV tooling does: an optional `v`, dot-separated numbers (missing
 * ones are 0), then the rest; numbers past the third join the rest as `.N`; the rest up to `+` (build
 * metadata), less one leading `-`, is the pre-release.
 */
function parseSemver(text: string): SemverParts {
  let pos = text.startsWith("v") ? 1 : 0;
  const numbers: string[] = [];
  while (pos < text.length) {
    const c = text.charCodeAt(pos);
    if (c === 46) {
      pos++;
      continue;
    }
    if (!isDigitCode(c)) break;
    const start = pos;
    while (pos < text.length && isDigitCode(text.charCodeAt(pos))) pos++;
    numbers.push(text.slice(start, pos));
  }
  let rest = text.slice(pos);
  // Extra numbers land after the rest, each without leading zeros.
  for (const extra of numbers.slice(3)) rest += `.${extra.replace(/^0+(?=\d)/, "")}`;
  const plus = rest.indexOf("+");
  let pre = plus < 0 ? rest : rest.slice(0, plus);
  if (pre.startsWith("-")) pre = pre.slice(1);
  return { core: numbers.slice(0, 3), prerelease: pre === "" ? undefined : pre.split(".") };
}

const cache = new ParseCache(parseSemver);

function compareIdentifiers(a: string[], b: string[]): number {
  const shared = Math.min(a.length, b.length);
  for (let i = 0; i < shared; i++) {
    const x = a[i] as string;
    const y = b[i] as string;
    if (x === y) continue;
    const xNumeric = isAllDigits(x);
    const yNumeric = isAllDigits(y);
    // Numeric identifiers compare by value and sort before alphanumeric ones.
    if (xNumeric && yNumeric) {
      const diff = compareDigitStrings(x, y);
      if (diff !== 0) return diff;
    } else if (xNumeric !== yNumeric) {
      return xNumeric ? -1 : 1;
    } else {
      return compareStrings(x, y);
    }
  }
  return Math.sign(a.length - b.length);
}

/** Whether the text is a SemVer 2.0.0 version, optionally with Go's leading `v`. */
export function isValidSemverVersion(text: string): boolean {
  return text.length <= MAX_VERSION_LENGTH && STRICT_SEMVER.test(text);
}

/**
 * SemVer 2.0.0 precedence (npm, crates.io, Go incl. pseudo-versions and `+incompatible`, Hex...):
 * major.minor.patch by value, a pre-release before its release, pre-release identifiers compared in
 * turn (numbers by value and before words, words by ASCII), build metadata ignored; a leading `v` is
 * ignored. Returns -1, 0 or 1. A string that is not SemVer (see isValidSemverVersion) is read leniently
 * as the OSV tooling does: missing numbers are 0, a fourth number or any other tail counts as pre-release.
 */
export function compareSemverVersions(a: string, b: string): number {
  if (a === b) return 0;
  const x = cache.get(a);
  const y = cache.get(b);
  for (let i = 0; i < 3; i++) {
    const diff = compareDigitStrings(x.core[i] ?? "", y.core[i] ?? "");
    if (diff !== 0) return diff;
  }
  if (x.prerelease === undefined || y.prerelease === undefined) {
    if (x.prerelease === y.prerelease) return 0;
    return x.prerelease === undefined ? 1 : -1;
  }
  return compareIdentifiers(x.prerelease, y.prerelease);
}
