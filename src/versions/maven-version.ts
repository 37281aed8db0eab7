import { compareDigitStrings, compareStrings, isAllDigits, isDigitCode } from "./digits.js";
import { ParseCache } from "./parse-cache.js";

/** One token of a Maven version: the separator before it (`.`, `-`, or "" for the first) and its value. */
interface MavenToken {
  prefix: "" | "." | "-";
  value: string;
  numeric: boolean;
  // A stand-in for a token the shorter version lacks.
  padding: boolean;
}

// Known qualifiers in order; "" is the release itself (`ga`, `final`, `release`); unknown ones sort after.
const QUALIFIERS = ["alpha", "beta", "milestone", "rc", "snapshot", "", "sp"];

function qualifierRank(value: string): number {
  const rank = QUALIFIERS.indexOf(value);
  return rank < 0 ? QUALIFIERS.length : rank;
}

function isNullToken(token: MavenToken): boolean {
  return token.value === "0" || token.value === "";
}

function pushPiece(tokens: MavenToken[], prefix: "" | "." | "-", raw: string, beforeDigits: boolean): void {
  let value = raw.toLowerCase();
  if (value === "") value = "0";
  else if (value === "cr") value = "rc";
  else if (value === "ga" || value === "final" || value === "release") value = "";
  // `a1`, `b2`, `m3` are short for alpha, beta and milestone when a number follows at once.
  else if (beforeDigits && value === "a") value = "alpha";
  else if (beforeDigits && value === "b") value = "beta";
  else if (beforeDigits && value === "m") value = "milestone";
  const numeric = isAllDigits(value);
  if (numeric) value = value.replace(/^0+(?=\d)/, "");
  tokens.push({ prefix, value, numeric, padding: false });
}

/**
 * Splits a version at `.`, `-` and every switch between digits and other characters (a switch counts as
 * `-`), then trims null tokens (0, "", final, ga) from the end and before each remaining `-`.
 */
function parseMaven(text: string): MavenToken[] {
  const tokens: MavenToken[] = [];
  let prefix: "" | "." | "-" = "";
  let start = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : -1;
    if (c !== 46 && c !== 45 && c !== -1) continue;
    // Within one dot/hyphen-separated part, digit and non-digit runs become tokens of their own.
    let pieceStart = start;
    let piecePrefix = prefix;
    for (let j = start + 1; j <= i; j++) {
      const boundary = j === i || isDigitCode(text.charCodeAt(j)) !== isDigitCode(text.charCodeAt(j - 1));
      if (!boundary) continue;
      pushPiece(tokens, piecePrefix, text.slice(pieceStart, j), j !== i);
      pieceStart = j;
      piecePrefix = "-";
    }
    if (start === i) pushPiece(tokens, piecePrefix, "", false);
    prefix = c === 45 ? "-" : ".";
    start = i + 1;
  }
  let i = tokens.length - 1;
  while (i > 0) {
    if (isNullToken(tokens[i] as MavenToken)) {
      tokens.splice(i, 1);
      i--;
      continue;
    }
    // A non-null token ends this run of trimming; go on before the `-` that starts its group.
    while (i >= 0 && (tokens[i] as MavenToken).prefix !== "-") i--;
    i--;
  }
  return tokens;
}

const cache = new ParseCache(parseMaven);

/** The null token that stands in, in the shorter version, for `other`: 0 after `.`, "" after `-`. */
function paddingFor(other: MavenToken): MavenToken {
  if (other.prefix === "-") return { prefix: "-", value: "", numeric: false, padding: true };
  // Only `sp` sorts after the empty qualifier, so against it the padding must be "" rather than 0.
  return other.value === "sp"
    ? { prefix: ".", value: "", numeric: false, padding: true }
    : { prefix: ".", value: "0", numeric: true, padding: true };
}

// With different separators: `.qualifier` < `-qualifier` < `-number` < `.number`.
function separatorRank(token: MavenToken): number {
  if (token.numeric) return token.prefix === "-" ? 2 : 3;
  return token.prefix === "-" ? 1 : 0;
}

function isLess(x: MavenToken, y: MavenToken): boolean {
  if (x.prefix !== y.prefix) return separatorRank(x) < separatorRank(y);
  if (x.numeric && y.numeric) return compareDigitStrings(x.value, y.value) < 0;
  // A real number sorts after any qualifier; a padded 0 does not.
  if (x.numeric && !x.padding) return false;
  if (y.numeric && !y.padding) return true;
  const xRank = qualifierRank(x.value);
  const yRank = qualifierRank(y.value);
  if (xRank === QUALIFIERS.length && yRank === QUALIFIERS.length) return compareStrings(x.value, y.value) < 0;
  return xRank < yRank;
}

/**
 * Maven version order (the POM reference's version order specification, as ComparableVersion): tokens at
 * `.`, `-` and digit/letter switches, trailing nulls trimmed, numbers by value, qualifiers alpha < beta <
 * milestone < rc (= cr) < snapshot < release (= "", ga, final) < sp < others by name, case ignored.
 * Every string is a Maven version. Returns -1, 0 or 1.
 */
export function compareMavenVersions(a: string, b: string): number {
  if (a === b) return 0;
  const x = cache.get(a);
  const y = cache.get(b);
  const length = Math.max(x.length, y.length);
  for (let i = 0; i < length; i++) {
    const xi = x[i];
    const yi = y[i];
    const left = xi ?? paddingFor(yi as MavenToken);
    const right = yi ?? paddingFor(xi as MavenToken);
    if (left.prefix === right.prefix && left.value === right.value) continue;
    return isLess(left, right) ? -1 : 1;
  }
  return 0;
}
