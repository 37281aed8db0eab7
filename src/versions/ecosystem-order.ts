import { CipError } from "../model/errors.js";
import { compareApkVersions, isValidApkVersion } from "./apk-version.js";
import { compareDpkgVersions, isValidDpkgVersion } from "./dpkg-version.js";
import { compareMavenVersions } from "./maven-version.js";
import { comparePep440Versions, isValidPep440Version } from "./pep440-version.js";
import { compareRpmVersions } from "./rpm-version.js";
import { compareRubyGemsVersions, isValidRubyGemsVersion } from "./rubygems-version.js";
import { compareSemverVersions, isValidSemverVersion } from "./semver-version.js";

/** The version schemes this module orders. */
export type VersionScheme = "dpkg" | "apk" | "rpm" | "semver" | "pep440" | "maven" | "rubygems";

/** How one ecosystem orders its versions. */
export interface VersionOrder {
  scheme: VersionScheme;
  /** Negative when `a` is older than `b`, 0 when they are the same version, positive when newer. */
  compare(a: string, b: string): number;
  /** Whether the ecosystem's own tool accepts the version; every string still has a place in `compare`. */
  isValid(version: string): boolean;
}

const always = (): boolean => true;

/** The order of each scheme. */
export const VERSION_ORDERS: Readonly<Record<VersionScheme, VersionOrder>> = {
  dpkg: { scheme: "dpkg", compare: compareDpkgVersions, isValid: isValidDpkgVersion },
  apk: { scheme: "apk", compare: compareApkVersions, isValid: isValidApkVersion },
  rpm: { scheme: "rpm", compare: compareRpmVersions, isValid: always },
  semver: { scheme: "semver", compare: compareSemverVersions, isValid: isValidSemverVersion },
  pep440: { scheme: "pep440", compare: comparePep440Versions, isValid: isValidPep440Version },
  maven: { scheme: "maven", compare: compareMavenVersions, isValid: always },
  rubygems: { scheme: "rubygems", compare: compareRubyGemsVersions, isValid: isValidRubyGemsVersion },
};

// OSV ecosystem names (osv-schema ecosystems.json) whose order is known, as the OSV tooling maps them.
const ECOSYSTEM_SCHEMES: Readonly<Record<string, VersionScheme>> = {
  Debian: "dpkg",
  Ubuntu: "dpkg",
  Alpine: "apk",
  Alpaquita: "apk",
  "BellSoft Hardened Containers": "apk",
  Chainguard: "apk",
  MinimOS: "apk",
  Wolfi: "apk",
  AlmaLinux: "rpm",
  "Azure Linux": "rpm",
  Mageia: "rpm",
  // Azure Linux's former name, still found in older records.
  Mariner: "rpm",
  openEuler: "rpm",
  openSUSE: "rpm",
  "Photon OS": "rpm",
  "Red Hat": "rpm",
  "Rocky Linux": "rpm",
  SUSE: "rpm",
  Bioconductor: "semver",
  Bitnami: "semver",
  ConanCenter: "semver",
  "crates.io": "semver",
  "Docker Hardened Images": "semver",
  GHC: "semver",
  Go: "semver",
  Hex: "semver",
  Julia: "semver",
  npm: "semver",
  SwiftURL: "semver",
  PyPI: "pep440",
  Maven: "maven",
  RubyGems: "rubygems",
};

const SCHEMES_BY_LOWER_NAME = new Map(
  Object.entries(ECOSYSTEM_SCHEMES).map(([name, scheme]) => [name.toLowerCase(), scheme]),
);

/**
 * The base ecosystem of an OSV ecosystem string: the part before the first `:` (`Alpine:v3.17`,
 * `Red Hat:rhel_aus:8.6::appstream`, `Ubuntu:Pro:14.04:LTS`), or for Root's patched packages the
 * ecosystem after `Root:` (`Root:Alpine:3.18` is Alpine, `Root:PyPI` is PyPI).
 */
export function baseEcosystem(ecosystem: string): string {
  const trimmed = ecosystem.trim();
  const colon = trimmed.indexOf(":");
  const head = colon < 0 ? trimmed : trimmed.slice(0, colon);
  if (head !== "Root" || colon < 0) return head;
  const rest = trimmed.slice(colon + 1);
  const next = rest.indexOf(":");
  return next < 0 ? rest : rest.slice(0, next);
}

/**
 * How the OSV ecosystem (with or without its `:release` suffix) orders versions; undefined when its order
 * is not known here (NuGet, Packagist, CRAN, Pub, Hackage, Linux, Android, GIT...), so the caller falls
 * back to the record's explicit version lists.
 */
export function orderFor(ecosystem: string): VersionOrder | undefined {
  const base = baseEcosystem(ecosystem);
  const scheme = ECOSYSTEM_SCHEMES[base] ?? SCHEMES_BY_LOWER_NAME.get(base.toLowerCase());
  return scheme === undefined ? undefined : VERSION_ORDERS[scheme];
}

/**
 * Compares two versions in an OSV ecosystem's order: negative when `a` is older, 0 when equal, positive
 * when newer. Throws when the ecosystem has no known order: check orderFor first (and in a matching loop
 * keep its result, which saves reading the ecosystem string on every comparison).
 */
export function compareInEcosystem(ecosystem: string, a: string, b: string): number {
  const order = orderFor(ecosystem);
  if (order === undefined) {
    throw new CipError(
      "CIP_ECOSYSTEM_UNSUPPORTED",
      `Cannot compare versions: no version order is known for ecosystem ${JSON.stringify(ecosystem.slice(0, 100))} (versions)`,
      { hint: "Call orderFor first and match such ecosystems by their explicit version lists." },
    );
  }
  return order.compare(a, b);
}
