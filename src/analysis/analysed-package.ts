import type { Package } from "../model/index.js";

/** A file a package database says the package installed. */
export interface PackageFile {
  /** Absolute path in the image filesystem. */
  path: string;
  /** Digest as the database writes it (`md5:…` for dpkg md5sums, apk's `Q1…` base64 SHA-1). */
  digest?: string;
  /** Permission bits, when the database records them (apk `a:`/`M:` lines). */
  mode?: number;
  /** `uid:gid`, when the database records it. */
  owner?: string;
}

/**
 * A package as a layer analysis reads it: the model's Package plus what the model has no field for yet
 * (source package, architecture, maintainer, installed files, dependencies).
 */
export interface AnalysedPackage extends Package {
  /** Source package (dpkg `Source:`, apk `o:` origin); set only when the database names one. */
  sourceName?: string;
  /** Source package version: dpkg's parenthesised version, else the binary's own. */
  sourceVersion?: string;
  /** Architecture as the database spells it (`amd64`, `x86_64`, `all`). */
  arch?: string;
  maintainer?: string;
  /** Installed size as the database states it (dpkg: KiB, or bytes when a unit is written; apk: bytes). */
  installedSize?: number;
  /** Files the package installed, when the database lists them. */
  files?: PackageFile[];
  /** Names of the packages this one depends on, as written (version constraints dropped). */
  dependsOn?: string[];
}

/** A database entry that was read but not reported as a package, and why. */
export interface SkippedEntry {
  /** Package name, when the entry has one. */
  name?: string;
  /** 1-based line where the entry starts. */
  line: number;
  reason: string;
}

/** What reading one package database file gives. */
export interface PackageReadResult {
  packages: AnalysedPackage[];
  /** Entries left out on purpose (not installed, no version, invalid version). */
  skipped: SkippedEntry[];
}
