import { CipError, type Package } from "../../model/index.js";
import { isBerkeleyDbHash, readBerkeleyDbHeaderBlobs } from "./rpm-bdb.js";
import type { RpmHeaderBlob } from "./rpm-blob.js";
import { RPMTAG, type RpmFile, RpmHeader } from "./rpm-header.js";
import { isRpmManifest, parseRpmManifest } from "./rpm-manifest.js";
import { isNdbDatabase, readNdbHeaderBlobs } from "./rpm-ndb.js";
import { isSqliteDatabase, readSqliteHeaderBlobs } from "./rpm-sqlite.js";

/** The rpm package list formats this reader knows. */
export type RpmDatabaseFormat = "sqlite" | "bdb" | "ndb" | "manifest";

/**
 * An installed rpm package: the common package facts plus what rpm records of it. The field names shared
 * with the other package readers (`sourceName`, `sourceVersion`, `arch`, `installedSize`, `files`) mean the
 * same there.
 */
export interface RpmPackage extends Package {
  type: "rpm";
  /** rpm's VERSION tag alone (`version` above is `[epoch:]VERSION-RELEASE`). */
  rpmVersion: string;
  release: string;
  epoch?: number;
  arch?: string;
  /** The source rpm file name (`util-linux-2.32.1-42.el8_8.src.rpm`). */
  sourceRpm?: string;
  /** Source package name from the source rpm file name (`util-linux`). */
  sourceName?: string;
  /** Source package VERSION-RELEASE from the source rpm file name (`2.32.1-42.el8_8`). */
  sourceVersion?: string;
  vendor?: string;
  /** Module stream of a RHEL/Fedora modular package (`nodejs:18:…`). */
  modularityLabel?: string;
  /** Installed size in bytes. */
  installedSize?: number;
  /** Installed files, with `files: true`. */
  files?: RpmFile[];
}

/** An rpm header read from a database, with its backend key, for callers that need its file list. */
export interface RpmHeaderRecord {
  key: number;
  where: string;
  header: RpmHeader;
}

/** How to read an rpm database. */
export interface ReadRpmOptions {
  /** The file as messages name it (`/var/lib/rpm/rpmdb.sqlite in layer sha256:…`). */
  where?: string;
  /** The image's os-release ID (`rhel`, `fedora`, `sles`): the purl namespace. Else guessed from the vendor. */
  distroId?: string;
  /** More packages than this is refused as hostile; default 100,000. */
  maxPackages?: number;
  /** Also read each package's file list (a damaged list is then an error). */
  files?: boolean;
}

const DEFAULT_MAX_PACKAGES = 100_000;

/** Which rpm package list the bytes hold, from their first bytes; undefined when none. */
export function detectRpmDatabaseFormat(bytes: Uint8Array): RpmDatabaseFormat | undefined {
  if (isSqliteDatabase(bytes)) return "sqlite";
  if (isNdbDatabase(bytes)) return "ndb";
  if (isBerkeleyDbHash(bytes)) return "bdb";
  if (isRpmManifest(bytes)) return "manifest";
  return undefined;
}

/**
 * Reads the parsed headers of an rpm database (SQLite, Berkeley DB or ndb; not a manifest, which has
 * none) in the order `rpm -qa` lists them. Throws CIP_PACKAGE_DB_INVALID on an unknown format or a damaged
 * database or header.
 */
export function readRpmHeaders(bytes: Uint8Array, options: ReadRpmOptions = {}): RpmHeaderRecord[] {
  const where = options.where ?? "rpm database";
  const format = detectRpmDatabaseFormat(bytes);
  const max = options.maxPackages ?? DEFAULT_MAX_PACKAGES;
  let blobs: RpmHeaderBlob[];
  if (format === "sqlite") blobs = readSqliteHeaderBlobs(bytes, where, max);
  else if (format === "ndb") blobs = readNdbHeaderBlobs(bytes, where, max);
  else if (format === "bdb") blobs = readBerkeleyDbHeaderBlobs(bytes, where, max);
  else throw unknownFormat(format, where);
  return blobs.map((b) => ({ key: b.key, where: b.where, header: RpmHeader.parse(b.blob, b.where) }));
}

/**
 * Reads the installed packages of an rpm database or Mariner container manifest, detecting the format
 * from the bytes, in the order `rpm -qa` lists them. Throws CIP_PACKAGE_DB_INVALID on an unknown format, a
 * damaged database, or a header without a name or version.
 */
export function readRpmDatabase(
  bytes: Uint8Array,
  options: ReadRpmOptions = {},
): { format: RpmDatabaseFormat; packages: RpmPackage[] } {
  const format = detectRpmDatabaseFormat(bytes);
  const where = options.where ?? "rpm database";
  if (format === "manifest") {
    const entries = parseRpmManifest(bytes, where, options.maxPackages ?? DEFAULT_MAX_PACKAGES);
    return { format, packages: entries.map((e) => finish({ ...e, rpmVersion: e.version }, options)) };
  }
  if (format === undefined) throw unknownFormat(format, where);
  const packages = readRpmHeaders(bytes, options).map((r) => packageFromHeader(r.header, r.where, options));
  return { format, packages };
}

/** The package an rpm header describes. Throws CIP_PACKAGE_DB_INVALID when it has no name or version. */
export function packageFromHeader(
  header: RpmHeader,
  where: string,
  options: Pick<ReadRpmOptions, "distroId" | "files"> = {},
): RpmPackage {
  const name = header.string(RPMTAG.NAME);
  const version = header.string(RPMTAG.VERSION);
  if (name === undefined || name === "" || version === undefined) {
    throw new CipError(
      "CIP_PACKAGE_DB_INVALID",
      `Cannot read rpm package: the header has no name or version (${where})`,
    );
  }
  const pkg = finish(
    {
      name,
      rpmVersion: version,
      release: header.string(RPMTAG.RELEASE) ?? "",
      epoch: header.number(RPMTAG.EPOCH),
      arch: header.string(RPMTAG.ARCH),
      sourceRpm: header.string(RPMTAG.SOURCERPM),
      vendor: header.string(RPMTAG.VENDOR),
      license: header.string(RPMTAG.LICENSE),
      modularityLabel: header.string(RPMTAG.MODULARITYLABEL),
      size: header.number(RPMTAG.LONGSIZE) ?? header.number(RPMTAG.SIZE),
    },
    options,
  );
  if (options.files === true) pkg.files = header.files();
  return pkg;
}

interface RpmFields {
  name: string;
  rpmVersion: string;
  release: string;
  epoch?: number;
  arch?: string;
  sourceRpm?: string;
  vendor?: string;
  license?: string;
  modularityLabel?: string;
  size?: number;
}

function finish(fields: RpmFields, options: Pick<ReadRpmOptions, "distroId">): RpmPackage {
  const evr = fields.release === "" ? fields.rpmVersion : `${fields.rpmVersion}-${fields.release}`;
  const pkg: RpmPackage = {
    name: fields.name,
    version: fields.epoch === undefined ? evr : `${fields.epoch}:${evr}`,
    type: "rpm",
    rpmVersion: fields.rpmVersion,
    release: fields.release,
  };
  if (fields.epoch !== undefined) pkg.epoch = fields.epoch;
  if (fields.arch !== undefined && fields.arch !== "") pkg.arch = fields.arch;
  if (fields.sourceRpm !== undefined && fields.sourceRpm !== "" && fields.sourceRpm !== "(none)") {
    pkg.sourceRpm = fields.sourceRpm;
    // name-VERSION-RELEASE.src.rpm: neither VERSION nor RELEASE holds a dash.
    const source = /^(.+)-([^-]+-[^-]+)\.(?:no)?src\.rpm$/.exec(fields.sourceRpm);
    if (source !== null) {
      pkg.sourceName = source[1];
      pkg.sourceVersion = source[2];
    }
  }
  if (fields.vendor !== undefined && fields.vendor !== "") pkg.vendor = fields.vendor;
  if (fields.license !== undefined && fields.license !== "") pkg.licenses = [fields.license];
  if (fields.modularityLabel !== undefined && fields.modularityLabel !== "")
    pkg.modularityLabel = fields.modularityLabel;
  if (fields.size !== undefined) pkg.installedSize = fields.size;
  const namespace = options.distroId?.toLowerCase() ?? vendorNamespace(pkg.vendor);
  if (namespace !== undefined && namespace !== "") pkg.purl = rpmPurl(pkg, namespace);
  return pkg;
}

/** The purl of an rpm package: `pkg:rpm/<namespace>/<name>@<version>-<release>?arch=…&epoch=…&upstream=…`. */
export function rpmPurl(pkg: RpmPackage, namespace: string): string {
  const evr = pkg.release === "" ? pkg.rpmVersion : `${pkg.rpmVersion}-${pkg.release}`;
  const qualifiers: string[] = [];
  // purl qualifiers are sorted by key.
  if (pkg.arch !== undefined) qualifiers.push(`arch=${encodeURIComponent(pkg.arch)}`);
  if (pkg.epoch !== undefined) qualifiers.push(`epoch=${pkg.epoch}`);
  if (pkg.sourceRpm !== undefined) qualifiers.push(`upstream=${encodeURIComponent(pkg.sourceRpm)}`);
  const query = qualifiers.length > 0 ? `?${qualifiers.join("&")}` : "";
  return `pkg:rpm/${encodeURIComponent(namespace)}/${encodeURIComponent(pkg.name)}@${encodeURIComponent(evr)}${query}`;
}

/** Vendors that name one distribution; others (Microsoft ships Mariner and Azure Linux) say too little. */
const VENDOR_NAMESPACES: [RegExp, string][] = [
  [/^Red Hat\b/i, "redhat"],
  [/^CentOS\b/i, "centos"],
  [/^Fedora Project\b/i, "fedora"],
  [/^openSUSE\b/i, "opensuse"],
  [/^SUSE\b/i, "suse"],
  [/^Rocky\b/i, "rocky"],
  [/^AlmaLinux\b/i, "almalinux"],
  [/^Amazon\b/i, "amazon"],
  [/^Oracle America\b/i, "oracle"],
];

function vendorNamespace(vendor: string | undefined): string | undefined {
  if (vendor === undefined) return undefined;
  return VENDOR_NAMESPACES.find(([pattern]) => pattern.test(vendor))?.[1];
}

function unknownFormat(format: RpmDatabaseFormat | undefined, where: string): CipError {
  return new CipError(
    "CIP_PACKAGE_DB_INVALID",
    format === undefined
      ? `Cannot read rpm database: not an SQLite, Berkeley DB or ndb rpm database, nor an rpm manifest (${where})`
      : `Cannot read rpm headers: an rpm ${format} holds no headers (${where})`,
  );
}
