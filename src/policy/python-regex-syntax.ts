/** A Python `re` pattern rewritten in RE2 syntax, with its leading global flags split out. */
export interface Re2Source {
  /** The pattern body in RE2 syntax. */
  body: string;
  /** Leading Python flags that RE2 honours: `i`, `m`, `s`. */
  flags: string;
}

/** A pattern RE2 cannot run: what it uses, and why that is refused. */
export interface UnsupportedFeature {
  /** The construct as written in the pattern (`\1`, `(?=`). */
  construct: string;
  /** Why it is refused, e.g. "backreferences cannot run in linear time". */
  reason: string;
}

/** Thrown by translatePythonRegex for a construct that needs backtracking. */
export class UnsupportedRegexError extends Error {
  readonly feature: UnsupportedFeature;
  constructor(feature: UnsupportedFeature) {
    super(`${feature.construct}: ${feature.reason}`);
    this.name = "UnsupportedRegexError";
    this.feature = feature;
  }
}

const LEADING_FLAGS = /^\(\?([aiLmsux]+)\)/;
const OCTAL3 = /^[0-7]{3}/;

/**
 * Rewrites a Python `re` pattern in RE2 syntax: leading inline flags such as `(?i)` are split out (`a`, `L`,
 * `u` need nothing in RE2, `x` is applied here), `\Z` becomes `\z`, `\uXXXX` becomes `\x{XXXX}`, `(?#…)`
 * comments and `{,n}` are rewritten, and `(?P<name>…)`, `\A` pass through (RE2 reads them as Python does).
 * Throws UnsupportedRegexError for what needs backtracking: backreferences (`\1`, `(?P=name)`), lookahead,
 * lookbehind and conditional groups. Syntax errors are left for RE2 to report.
 */
export function translatePythonRegex(pattern: string): Re2Source {
  let rest = pattern;
  let flags = "";
  let verbose = false;
  for (let m = LEADING_FLAGS.exec(rest); m?.[1]; m = LEADING_FLAGS.exec(rest)) {
    for (const f of m[1]) {
      if ((f === "i" || f === "m" || f === "s") && !flags.includes(f)) flags += f;
      if (f === "x") verbose = true;
    }
    rest = rest.slice(m[0].length);
  }
  return { body: translateBody(rest, verbose), flags };
}

function translateBody(p: string, verbose: boolean): string {
  let out = "";
  let inClass = false;
  let i = 0;
  while (i < p.length) {
    const c = p[i] as string;
    if (c === "\\") {
      const escaped = translateEscape(p, i, inClass);
      out += escaped.text;
      i = escaped.end;
      continue;
    }
    if (inClass) {
      if (c === "]") inClass = false;
      out += c;
      i++;
      continue;
    }
    if (c === "[") {
      inClass = true;
      out += c;
      i++;
      if (p[i] === "^") out += p[i++];
      // Python reads a `]` right after `[` or `[^` as a literal, not as the end of the class.
      if (p[i] === "]") {
        out += "\\]";
        i++;
      }
      continue;
    }
    if (verbose && /\s/.test(c)) {
      i++;
      continue;
    }
    if (verbose && c === "#") {
      const eol = p.indexOf("\n", i);
      i = eol < 0 ? p.length : eol + 1;
      continue;
    }
    if (c === "(" && p[i + 1] === "?") {
      const group = translateGroupOpening(p, i);
      out += group.text;
      i = group.end;
      continue;
    }
    const emptyMin = c === "{" ? /^\{,(\d+)\}/.exec(p.slice(i)) : null;
    if (emptyMin) {
      out += `{0,${emptyMin[1]}}`;
      i += emptyMin[0].length;
      continue;
    }
    out += c;
    i++;
  }
  return out;
}

function translateEscape(p: string, i: number, inClass: boolean): { text: string; end: number } {
  const d = p[i + 1];
  if (d === undefined) return { text: "\\", end: i + 1 };
  if (!inClass && d >= "1" && d <= "9" && !OCTAL3.test(p.slice(i + 1))) {
    const digits = /^\d{1,2}/.exec(p.slice(i + 1))?.[0] ?? d;
    throw new UnsupportedRegexError({
      construct: `\\${digits}`,
      reason: "backreferences cannot run in linear time",
    });
  }
  if (d === "Z" && !inClass) return { text: "\\z", end: i + 2 };
  if (d === "b" && inClass) return { text: "\\x08", end: i + 2 };
  if (d === "u" || d === "U") {
    const width = d === "u" ? 4 : 8;
    const hex = p.slice(i + 2, i + 2 + width);
    if (hex.length === width && /^[0-9A-Fa-f]+$/.test(hex))
      return { text: `\\x{${hex}}`, end: i + 2 + width };
  }
  return { text: `\\${d}`, end: i + 2 };
}

const REFUSED_GROUPS: readonly [string, string, string][] = [
  ["(?P=", "backreferences", "(?P=name)"],
  ["(?=", "lookahead assertions", "(?=…)"],
  ["(?!", "lookahead assertions", "(?!…)"],
  ["(?<=", "lookbehind assertions", "(?<=…)"],
  ["(?<!", "lookbehind assertions", "(?<!…)"],
  ["(?(", "conditional groups", "(?(…)…)"],
];

function translateGroupOpening(p: string, i: number): { text: string; end: number } {
  for (const [opening, what, shape] of REFUSED_GROUPS) {
    if (p.startsWith(opening, i)) {
      throw new UnsupportedRegexError({ construct: shape, reason: `${what} cannot run in linear time` });
    }
  }
  if (p.startsWith("(?#", i)) {
    const close = p.indexOf(")", i);
    // An unterminated comment is left in place for RE2 to reject.
    if (close >= 0) return { text: "", end: close + 1 };
  }
  return { text: "(?", end: i + 2 };
}
