import type { Distro } from "../model/index.js";
import { compareApkVersions as compareApkOrder } from "../versions/apk-version.js";
import { compareDigitStrings } from "../versions/digits.js";
import { compareDpkgParts, compareDpkgVersions, parseDpkgVersion } from "../versions/dpkg-version.js";
import { parseRpmVersion, rpmvercmp } from "../versions/rpm-version.js";

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

// The algorithms live in src/versions (shared with OSV matching); only anchore-engine's quirks stay here.

/** dpkg version order (`epoch:upstream-revision`, `~` before anything); epochs count only when both have one. */
export function compareDebVersions(a: string, b: string): number {
  const va = parseDpkgVersion(a);
  const vb = parseDpkgVersion(b);
  if (va === undefined || vb === undefined) return compareDpkgVersions(a, b);
  if (va.epoch !== undefined && vb.epoch !== undefined) {
    const byEpoch = compareDigitStrings(va.epoch, vb.epoch);
    if (byEpoch !== 0) return byEpoch;
  }
  return compareDpkgParts(va.upstream, vb.upstream) || compareDpkgParts(va.revision, vb.revision);
}

/** rpm's `rpmvercmp` on one version or release string (`~` sorts before anything, `^` after the end). */
export function rpmVerCmp(a: string, b: string): number {
  return rpmvercmp(a, b);
}

/**
 * RPM version order over `epoch:version-release`; the epoch and the release count only when both versions
 * have one, as anchore-engine compares them.
 */
export function compareRpmVersions(a: string, b: string): number {
  const va = parseRpmVersion(a.trim());
  const vb = parseRpmVersion(b.trim());
  if (va.epoch !== undefined && vb.epoch !== undefined) {
    const byEpoch = compareDigitStrings(va.epoch, vb.epoch);
    if (byEpoch !== 0) return byEpoch;
  }
  const byVersion = rpmvercmp(va.version, vb.version);
  if (byVersion !== 0 || va.release === undefined || vb.release === undefined) return byVersion;
  return rpmvercmp(va.release, vb.release);
}

/** apk-tools version order (`1.2.3_rc1-r0`: digits, a letter, suffixes, then the `-r` revision). */
export function compareApkVersions(a: string, b: string): number {
  return compareApkOrder(a, b);
}
