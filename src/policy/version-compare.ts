import type { Distro } from "../model/index.js";

/** The version schemes anchore-engine compares package versions with. */
export type VersionFlavor = "deb" | "rpm" | "apk";

/**
 * Compares two package versions in a scheme: negative when `a` is older than `b`, 0 when equal, positive
 * when newer. Epochs count only when both versions carry one, as anchore-engine compares them.
 */
export function compareVersions(flavor: VersionFlavor, a: string, b: string): number {
  if (a === b) return 0;
  switch (flavor) {
    case "deb":
      return compareDebVersions(a, b);
    case "rpm":
      return compareRpmVersions(a, b);
    case "apk":
      return compareApkVersions(a, b);
  }
}

const DISTRO_FLAVORS: Record<string, VersionFlavor> = {
  debian: "deb",
  ubuntu: "deb",
  rhel: "rpm",
  redhat: "rpm",
  centos: "rpm",
  fedora: "rpm",
  ol: "rpm",
  amzn: "rpm",
  rocky: "rpm",
  almalinux: "rpm",
  sles: "rpm",
  opensuse: "rpm",
  "opensuse-leap": "rpm",
  mariner: "rpm",
  alpine: "apk",
  wolfi: "apk",
  chainguard: "apk",
};

const TYPE_FLAVORS: Record<string, VersionFlavor> = { dpkg: "deb", deb: "deb", rpm: "rpm", apk: "apk" };

/**
 * The version scheme for a package: the image distro's (by name, then its `like` entries), as
 * anchore-engine picks it, else the package type's own scheme; undefined when neither is known.
 */
export function versionFlavorFor(
  distro: Distro | undefined,
  packageType: string | undefined,
): VersionFlavor | undefined {
  for (const name of [distro?.name, ...(distro?.like ?? [])]) {
    const flavor = name === undefined ? undefined : DISTRO_FLAVORS[name.toLowerCase()];
    if (flavor) return flavor;
  }
  return packageType === undefined ? undefined : TYPE_FLAVORS[packageType.toLowerCase()];
}

// ---- Debian (dpkg) -------------------------------------------------------------------------------

interface DebVersion {
  epoch?: number;
  upstream: string;
  revision: string;
}

function parseDebVersion(text: string): DebVersion {
  const { epoch, main, release } = splitEpochRelease(text);
  return { epoch, upstream: main, revision: release ?? "" };
}

/** Splits `[epoch:]main[-release]`, the layout dpkg and rpm versions share (the release after the last dash). */
function splitEpochRelease(text: string): { epoch?: number; main: string; release?: string } {
  const trimmed = text.trim();
  const colon = trimmed.indexOf(":");
  let epoch: number | undefined;
  let rest = trimmed;
  if (colon > 0 && /^\d+$/.test(trimmed.slice(0, colon))) {
    epoch = Number.parseInt(trimmed.slice(0, colon), 10);
    rest = trimmed.slice(colon + 1);
  }
  const dash = rest.lastIndexOf("-");
  return dash < 0
    ? { epoch, main: rest }
    : { epoch, main: rest.slice(0, dash), release: rest.slice(dash + 1) };
}

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= "0" && c <= "9";
}

function isAlpha(c: string | undefined): boolean {
  return c !== undefined && ((c >= "a" && c <= "z") || (c >= "A" && c <= "Z"));
}

// dpkg's character weight: `~` sorts before the end of a string, letters before other symbols.
function debOrder(c: string | undefined): number {
  if (c === undefined || isDigit(c)) return 0;
  if (isAlpha(c)) return c.charCodeAt(0);
  if (c === "~") return -1;
  return c.charCodeAt(0) + 256;
}

function debCompareFragment(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    while ((i < a.length && !isDigit(a[i])) || (j < b.length && !isDigit(b[j]))) {
      const ac = debOrder(a[i]);
      const bc = debOrder(b[j]);
      if (ac !== bc) return ac - bc;
      i++;
      j++;
    }
    while (a[i] === "0") i++;
    while (b[j] === "0") j++;
    let firstDiff = 0;
    while (isDigit(a[i]) && isDigit(b[j])) {
      if (firstDiff === 0) firstDiff = (a.charCodeAt(i) as number) - (b.charCodeAt(j) as number);
      i++;
      j++;
    }
    if (isDigit(a[i])) return 1;
    if (isDigit(b[j])) return -1;
    if (firstDiff !== 0) return firstDiff;
  }
  return 0;
}

/** dpkg version order (`epoch:upstream-revision`, `~` before anything). */
export function compareDebVersions(a: string, b: string): number {
  const va = parseDebVersion(a);
  const vb = parseDebVersion(b);
  if (va.epoch !== undefined && vb.epoch !== undefined && va.epoch !== vb.epoch) return va.epoch - vb.epoch;
  return debCompareFragment(va.upstream, vb.upstream) || debCompareFragment(va.revision, vb.revision);
}

// ---- RPM -----------------------------------------------------------------------------------------

interface RpmVersion {
  epoch?: number;
  version: string;
  release?: string;
}

function parseRpmVersion(text: string): RpmVersion {
  const { epoch, main, release } = splitEpochRelease(text);
  return release === undefined ? { epoch, version: main } : { epoch, version: main, release };
}

function isAlnum(c: string | undefined): boolean {
  return isDigit(c) || isAlpha(c);
}

/** rpm's `rpmvercmp` on one version or release string (`~` sorts before anything, `^` after the end). */
export function rpmVerCmp(a: string, b: string): number {
  if (a === b) return 0;
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    while (i < a.length && !isAlnum(a[i]) && a[i] !== "~" && a[i] !== "^") i++;
    while (j < b.length && !isAlnum(b[j]) && b[j] !== "~" && b[j] !== "^") j++;
    if (a[i] === "~" || b[j] === "~") {
      if (a[i] !== "~") return 1;
      if (b[j] !== "~") return -1;
      i++;
      j++;
      continue;
    }
    if (a[i] === "^" || b[j] === "^") {
      if (i >= a.length) return -1;
      if (j >= b.length) return 1;
      if (a[i] !== "^") return 1;
      if (b[j] !== "^") return -1;
      i++;
      j++;
      continue;
    }
    if (i >= a.length || j >= b.length) break;
    const numeric = isDigit(a[i]);
    const take = numeric ? isDigit : isAlpha;
    const si = i;
    const sj = j;
    while (i < a.length && take(a[i])) i++;
    while (j < b.length && take(b[j])) j++;
    let segA = a.slice(si, i);
    let segB = b.slice(sj, j);
    // A numeric segment is newer than an alphabetic one.
    if (segB === "") return numeric ? 1 : -1;
    if (numeric) {
      segA = segA.replace(/^0+/, "");
      segB = segB.replace(/^0+/, "");
      if (segA.length !== segB.length) return segA.length > segB.length ? 1 : -1;
    }
    if (segA !== segB) return segA > segB ? 1 : -1;
  }
  if (i >= a.length && j >= b.length) return 0;
  return i >= a.length ? -1 : 1;
}

/** RPM version order over `epoch:version-release`; the release counts only when both versions have one. */
export function compareRpmVersions(a: string, b: string): number {
  const va = parseRpmVersion(a);
  const vb = parseRpmVersion(b);
  if (va.epoch !== undefined && vb.epoch !== undefined && va.epoch !== vb.epoch) return va.epoch - vb.epoch;
  const byVersion = rpmVerCmp(va.version, vb.version);
  if (byVersion !== 0 || va.release === undefined || vb.release === undefined) return byVersion;
  return rpmVerCmp(va.release, vb.release);
}

// ---- Alpine (apk) --------------------------------------------------------------------------------

// Token kinds in apk-tools' order: a later kind at the same position means an older version, except suffixes.
const Tok = {
  Invalid: -1,
  DigitOrZero: 0,
  Digit: 1,
  Letter: 2,
  Suffix: 3,
  SuffixNo: 4,
  RevisionNo: 5,
  End: 6,
} as const;
type Tok = (typeof Tok)[keyof typeof Tok];

const PRE_SUFFIXES = ["alpha", "beta", "pre", "rc"];
const POST_SUFFIXES = ["cvs", "svn", "git", "hg", "p"];

interface ApkCursor {
  text: string;
  pos: number;
  type: Tok;
}

function apkNextType(cur: ApkCursor): void {
  const c = cur.text[cur.pos];
  const expected = cur.type;
  let next: Tok = Tok.Invalid;
  if (c === undefined) {
    next = Tok.End;
  } else if ((expected === Tok.Digit || expected === Tok.DigitOrZero) && c >= "a" && c <= "z") {
    next = Tok.Letter;
  } else if (expected === Tok.Letter && isDigit(c)) {
    next = Tok.Digit;
  } else if (expected === Tok.Suffix && isDigit(c)) {
    next = Tok.SuffixNo;
  } else {
    if (c === ".") next = Tok.DigitOrZero;
    else if (c === "_") next = Tok.Suffix;
    else if (c === "-" && cur.text[cur.pos + 1] === "r") {
      next = Tok.RevisionNo;
      cur.pos++;
    }
    cur.pos++;
  }
  if (
    next < expected &&
    !(
      (next === Tok.DigitOrZero && expected === Tok.Digit) ||
      (next === Tok.Suffix && expected === Tok.SuffixNo) ||
      (next === Tok.Digit && expected === Tok.Letter)
    )
  ) {
    next = Tok.Invalid;
  }
  cur.type = next;
}

function apkToken(cur: ApkCursor): number {
  const { text } = cur;
  if (cur.pos >= text.length) {
    cur.type = Tok.End;
    return 0;
  }
  let value = 0;
  let forced: Tok | undefined;
  let i = cur.pos;
  switch (cur.type) {
    case Tok.DigitOrZero:
    case Tok.Digit:
    case Tok.SuffixNo:
    case Tok.RevisionNo:
      if (cur.type === Tok.DigitOrZero && text[i] === "0") {
        // Leading zeros make a fraction-like component that sorts below any plain number.
        while (text[i] === "0") i++;
        value = -(i - cur.pos);
        forced = Tok.Digit;
        break;
      }
      while (isDigit(text[i])) value = value * 10 + (text.charCodeAt(i++) - 48);
      break;
    case Tok.Letter:
      value = text.charCodeAt(i++);
      break;
    case Tok.Suffix: {
      const rest = text.slice(i);
      const pre = PRE_SUFFIXES.findIndex((s) => rest.startsWith(s));
      const post = pre >= 0 ? -1 : POST_SUFFIXES.findIndex((s) => rest.startsWith(s));
      if (pre >= 0) {
        value = pre - PRE_SUFFIXES.length;
        i += (PRE_SUFFIXES[pre] as string).length;
      } else if (post >= 0) {
        value = post;
        i += (POST_SUFFIXES[post] as string).length;
      } else {
        cur.type = Tok.Invalid;
        return -1;
      }
      break;
    }
    default:
      cur.type = Tok.Invalid;
      return -1;
  }
  cur.pos = i;
  if (cur.pos >= text.length) cur.type = Tok.End;
  else if (forced !== undefined) cur.type = forced;
  else apkNextType(cur);
  return value;
}

/** apk-tools version order (`1.2.3_rc1-r0`: digits, a letter, suffixes, then the `-r` revision). */
export function compareApkVersions(a: string, b: string): number {
  const ca: ApkCursor = { text: a, pos: 0, type: Tok.Digit };
  const cb: ApkCursor = { text: b, pos: 0, type: Tok.Digit };
  let av = 0;
  let bv = 0;
  while (ca.type === cb.type && ca.type !== Tok.End && ca.type !== Tok.Invalid && av === bv) {
    av = apkToken(ca);
    bv = apkToken(cb);
  }
  if (av !== bv) return av < bv ? -1 : 1;
  if (ca.type === cb.type) return 0;
  // Equal so far: the longer version is newer, unless what follows is a pre-release suffix.
  if (ca.type === Tok.Suffix && apkToken({ ...ca }) < 0) return -1;
  if (cb.type === Tok.Suffix && apkToken({ ...cb }) < 0) return 1;
  if (ca.type > cb.type) return -1;
  if (cb.type > ca.type) return 1;
  return 0;
}
