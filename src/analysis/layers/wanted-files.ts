import { isApkDatabasePath } from "../apk-installed.js";
import { dpkgFileKind } from "../dpkg-status.js";
import { isInstalledPackageJson } from "../lang/npm-package-json.js";
import { isPythonMetadataPath } from "../lang/python-metadata.js";
import { isInstalledGemspecPath } from "../lang/ruby-gemspec.js";
import { RELEASE_FILES } from "../os-release.js";

/** What a layer analysis does with a file's bytes: keeps them whole, or reads them as an archive or binary. */
export type WantedKind = "release" | "dpkg" | "apk" | "rpm" | "passwd" | "npm" | "python" | "gem" | "java";

/** The rpm package databases and manifests, as syft and trivy look for them. */
export const RPM_DATABASE_PATHS: readonly string[] = [
  "/var/lib/rpm/Packages",
  "/var/lib/rpm/rpmdb.sqlite",
  "/usr/lib/sysimage/rpm/Packages.db",
  "/usr/lib/sysimage/rpm/rpmdb.sqlite",
  "/var/lib/rpmmanifest/container-manifest-2",
];

const RELEASE = new Set(RELEASE_FILES);
const RPM = new Set(RPM_DATABASE_PATHS);

/**
 * Which kind of wanted file an absolute image path is, or undefined when its bytes are not kept. Only
 * regular files are asked about; the answer depends on the path alone (ELF executables are found by their
 * first bytes, not here).
 */
export function wantedKind(path: string): WantedKind | undefined {
  if (RELEASE.has(path)) return "release";
  if (path === "/etc/passwd") return "passwd";
  const dpkg = dpkgFileKind(path);
  if (dpkg === "status" || dpkg === "status.d") return "dpkg";
  if (isApkDatabasePath(path)) return "apk";
  if (RPM.has(path)) return "rpm";
  if (isInstalledPackageJson(path)) return "npm";
  if (isPythonMetadataPath(path)) return "python";
  if (isInstalledGemspecPath(path)) return "gem";
  if (/\.(jar|war|ear)$/i.test(path)) return "java";
  return undefined;
}

/** Whether a wanted kind belongs to the OS package databases, kept per layer to date the packages. */
export function isDatabaseKind(kind: WantedKind): boolean {
  return kind === "dpkg" || kind === "apk" || kind === "rpm" || kind === "release" || kind === "passwd";
}
