import { compareDigitRuns, compareRanges, compareStrings, isDigitCode } from "./digits.js";

// Token kinds in apk-tools' order: at the same position a later kind means an older version, except suffixes.
const INITIAL_DIGIT = 0;
const DIGIT = 1;
const LETTER = 2;
const SUFFIX = 3;
const SUFFIX_NO = 4;
const COMMIT_HASH = 5;
const REVISION_NO = 6;
const END = 7;
const INVALID = 8;

// Suffix names by weight; "" is the place of no suffix: `_alpha` < `_beta` < `_pre` < `_rc` < none < `_cvs` ...
const SUFFIXES = ["alpha", "beta", "pre", "rc", "", "cvs", "svn", "git", "hg", "p"];
const NO_SUFFIX = 4;

function isLowerCode(c: number): boolean {
  return c >= 97 && c <= 122;
}

function isHexCode(c: number): boolean {
  return isDigitCode(c) || (c >= 97 && c <= 102);
}

/** The weight of the suffix name `text[start, end)`, or -1 when apk knows no such suffix. */
function suffixWeight(text: string, start: number, end: number): number {
  if (start === end) return -1;
  for (let w = 0; w < SUFFIXES.length; w++) {
    const name = SUFFIXES[w] as string;
    if (w !== NO_SUFFIX && name.length === end - start && text.startsWith(name, start)) return w;
  }
  return -1;
}

/** A reading position in a version: the current token's kind and text, as apk-tools' tokenizer keeps it. */
class Cursor {
  text = "";
  pos = 0;
  token = INITIAL_DIGIT;
  start = 0;
  end = 0;
  suffix = 0;

  first(text: string): void {
    this.text = text;
    this.pos = 0;
    this.token = INITIAL_DIGIT;
    this.digits();
  }

  private digits(): void {
    const { text } = this;
    this.start = this.pos;
    while (this.pos < text.length && isDigitCode(text.charCodeAt(this.pos))) this.pos++;
    this.end = this.pos;
    if (this.start === this.end) this.token = INVALID;
  }

  /** Moves to the next token, checking that it may follow the current one. */
  next(): void {
    const { text } = this;
    if (this.pos >= text.length) {
      this.token = END;
      return;
    }
    const c = text.charCodeAt(this.pos);
    if (isLowerCode(c)) {
      if (this.token > DIGIT) {
        this.token = INVALID;
        return;
      }
      this.start = this.pos++;
      this.end = this.pos;
      this.token = LETTER;
    } else if (c === 46 || isDigitCode(c)) {
      // `.` only separates numbers; a digit run may also follow a suffix name.
      if (c === 46) {
        if (this.token > DIGIT) {
          this.token = INVALID;
          return;
        }
        this.pos++;
      }
      if (this.token === INITIAL_DIGIT || this.token === DIGIT) this.token = DIGIT;
      else if (this.token === SUFFIX) this.token = SUFFIX_NO;
      else {
        this.token = INVALID;
        return;
      }
      this.digits();
    } else if (c === 95) {
      if (this.token > SUFFIX_NO) {
        this.token = INVALID;
        return;
      }
      this.start = ++this.pos;
      while (this.pos < text.length && isLowerCode(text.charCodeAt(this.pos))) this.pos++;
      this.end = this.pos;
      this.suffix = suffixWeight(text, this.start, this.end);
      if (this.suffix < 0) {
        this.token = INVALID;
        return;
      }
      this.token = SUFFIX;
    } else if (c === 126) {
      if (this.token >= COMMIT_HASH) {
        this.token = INVALID;
        return;
      }
      this.start = ++this.pos;
      while (this.pos < text.length && isHexCode(text.charCodeAt(this.pos))) this.pos++;
      this.end = this.pos;
      if (this.start === this.end) {
        this.token = INVALID;
        return;
      }
      this.token = COMMIT_HASH;
    } else if (c === 45) {
      if (this.token >= REVISION_NO || text.charCodeAt(this.pos + 1) !== 114) {
        this.token = INVALID;
        return;
      }
      this.pos += 2;
      this.token = REVISION_NO;
      this.digits();
    } else {
      this.token = INVALID;
    }
  }
}

// Two scratch cursors so a comparison allocates nothing (comparisons never nest).
const cursorA = new Cursor();
const cursorB = new Cursor();

function isValid(text: string, cursor: Cursor): boolean {
  cursor.first(text);
  // Each token consumes at least one character, so this ends within text.length + 1 steps.
  while (cursor.token < END) cursor.next();
  return cursor.token === END;
}

function compareTokens(a: Cursor, b: Cursor): number {
  switch (a.token) {
    case DIGIT:
      // A leading zero makes the component a fraction-like string, compared as text.
      if (a.text.charCodeAt(a.start) === 48 || b.text.charCodeAt(b.start) === 48) {
        return compareRanges(a.text, a.start, a.end, b.text, b.start, b.end);
      }
      return compareDigitRuns(a.text, a.start, a.end, b.text, b.start, b.end);
    case INITIAL_DIGIT:
    case SUFFIX_NO:
    case REVISION_NO:
      return compareDigitRuns(a.text, a.start, a.end, b.text, b.start, b.end);
    case LETTER:
      return Math.sign(a.text.charCodeAt(a.start) - b.text.charCodeAt(b.start));
    case SUFFIX:
      return Math.sign(a.suffix - b.suffix);
    default:
      return compareRanges(a.text, a.start, a.end, b.text, b.start, b.end);
  }
}

/**
 * apk-tools' comparison, or NaN when apk rejects either version. One pass: the tokens are compared until
 * they differ, then the rest of each version is only read far enough to know it is valid.
 */
function compareValid(a: string, b: string): number {
  const ta = cursorA;
  const tb = cursorB;
  ta.first(a);
  tb.first(b);
  let result = 0;
  while (ta.token === tb.token && ta.token < END) {
    result = compareTokens(ta, tb);
    if (result !== 0) break;
    ta.next();
    tb.next();
  }
  if (result === 0 && ta.token !== tb.token) {
    // Equal so far: the longer version is newer, unless what follows is a pre-release suffix.
    if (ta.token === SUFFIX && ta.suffix < NO_SUFFIX) result = -1;
    else if (tb.token === SUFFIX && tb.suffix < NO_SUFFIX) result = 1;
    else result = ta.token > tb.token ? -1 : 1;
  }
  // Each token consumes at least one character, so these end within the text's length.
  while (ta.token < END) ta.next();
  while (tb.token < END) tb.next();
  return ta.token === END && tb.token === END ? result : Number.NaN;
}

/** A version apk rejects, read field by field as far as it goes (the OSV tooling's reading). */
interface LooseApkVersion {
  text: string;
  components: string[];
  letter: number;
  suffixes: { weight: number; digits: string }[];
  revision: string;
  remainder: string;
  unparsed: boolean;
}

function parseLoose(text: string): LooseApkVersion {
  const v: LooseApkVersion = {
    text,
    components: [],
    letter: 0,
    suffixes: [],
    revision: "",
    remainder: "",
    unparsed: false,
  };
  let pos = 0;
  while (pos < text.length && isDigitCode(text.charCodeAt(pos))) {
    const start = pos;
    while (pos < text.length && isDigitCode(text.charCodeAt(pos))) pos++;
    v.components.push(text.slice(start, pos));
    if (text.charCodeAt(pos) === 46) pos++;
  }
  if (isLowerCode(text.charCodeAt(pos))) v.letter = text.charCodeAt(pos++);
  while (text.charCodeAt(pos) === 95) {
    let weight = -1;
    let nameEnd = pos + 1;
    for (let w = 0; w < SUFFIXES.length && weight < 0; w++) {
      const name = SUFFIXES[w] as string;
      // Names are tried in list order, so `_pre` wins over `_p`.
      if (w !== NO_SUFFIX && text.startsWith(name, pos + 1)) {
        weight = w;
        nameEnd = pos + 1 + name.length;
      }
    }
    if (weight < 0) break;
    let digitsEnd = nameEnd;
    while (digitsEnd < text.length && isDigitCode(text.charCodeAt(digitsEnd))) digitsEnd++;
    v.suffixes.push({ weight, digits: text.slice(nameEnd, digitsEnd) });
    pos = digitsEnd;
  }
  if (text.charCodeAt(pos) === 126 && isHexCode(text.charCodeAt(pos + 1))) {
    pos++;
    while (pos < text.length && isHexCode(text.charCodeAt(pos))) pos++;
  }
  if (pos < text.length) {
    if (text.startsWith("-r", pos)) {
      let digitsEnd = pos + 2;
      while (digitsEnd < text.length && isDigitCode(text.charCodeAt(digitsEnd))) digitsEnd++;
      v.revision = text.slice(pos + 2, digitsEnd);
      pos = digitsEnd;
    } else {
      v.unparsed = true;
    }
    v.remainder = text.slice(pos);
  }
  return v;
}

/** The OSV tooling's field-wise order, for a pair where apk rejects at least one version. */
function compareLoose(a: string, b: string): number {
  const v = parseLoose(a);
  const w = parseLoose(b);
  if (v.unparsed && w.unparsed) return compareStrings(a, b);
  const components = Math.max(v.components.length, w.components.length);
  for (let i = 0; i < components; i++) {
    const x = v.components[i];
    const y = w.components[i];
    // Leading zeros after the first component make it text, when both versions have it.
    const diff =
      i > 0 && x !== undefined && y !== undefined && (x.startsWith("0") || y.startsWith("0"))
        ? compareStrings(x, y)
        : compareDigitRuns(x ?? "", 0, x?.length ?? 0, y ?? "", 0, y?.length ?? 0);
    if (diff !== 0) return diff;
  }
  if (v.letter !== w.letter) return v.letter < w.letter ? -1 : 1;
  const suffixes = Math.max(v.suffixes.length, w.suffixes.length);
  for (let i = 0; i < suffixes; i++) {
    const x = v.suffixes[i] ?? { weight: NO_SUFFIX, digits: "" };
    const y = w.suffixes[i] ?? { weight: NO_SUFFIX, digits: "" };
    if (x.weight !== y.weight) return x.weight < y.weight ? -1 : 1;
    const diff = compareDigitRuns(x.digits, 0, x.digits.length, y.digits, 0, y.digits.length);
    if (diff !== 0) return diff;
  }
  const byRevision = compareDigitRuns(v.revision, 0, v.revision.length, w.revision, 0, w.revision.length);
  if (byRevision !== 0) return byRevision;
  // An unread tail makes a version older than the same version without one.
  if ((v.remainder === "") !== (w.remainder === "")) return v.remainder === "" ? 1 : -1;
  return 0;
}

/**
 * Whether apk-tools accepts the version: `digits{.digits}[letter]{_suffix[digits]}[~hash][-r digits]`,
 * suffixes being alpha, beta, pre, rc, cvs, svn, git, hg and p.
 */
export function isValidApkVersion(text: string): boolean {
  return isValid(text, cursorA);
}

/**
 * apk-tools version order (Alpine, Wolfi, Chainguard...): numbers by value (text order after a leading
 * zero), then a letter, suffixes (`_alpha` < `_beta` < `_pre` < `_rc` < none < `_cvs` < `_svn` < `_git` <
 * `_hg` < `_p`), the `~hash` and the `-r` revision. Returns -1, 0 or 1. When apk rejects either version
 * (see isValidApkVersion) the pair is compared field by field as the OSV tooling (osv-scalibr) does: the
 * fields that read compare as above, a version with an unreadable tail sorts before the same version
 * without, and two versions whose tails both fail to read compare by plain string order.
 */
export function compareApkVersions(a: string, b: string): number {
  if (a === b) return 0;
  const result = compareValid(a, b);
  return Number.isNaN(result) ? compareLoose(a, b) : result;
}
