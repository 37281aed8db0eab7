import type { Distro } from "../model/index.js";
import { METADATA_MAX_BYTES, splitLines, textOf } from "./text-input.js";

/** What the release files say about the distribution, with os-release's names for the fields. */
export interface OsRelease {
  /** `ID` (`debian`, `rhel`); absent when the file has none. */
  id?: string;
  /** `NAME` (`Debian GNU/Linux`). */
  name?: string;
  prettyName?: string;
  /** `ID_LIKE` entries, or for a redhat-release file the id itself and `rhel`, as syft lists them. */
  idLike: string[];
  /** `VERSION` (`20.04 LTS (Focal Fossa)`). */
  version?: string;
  /** `VERSION_ID` (`20.04`), or the point release from /etc/debian_version for Debian. */
  versionId?: string;
  versionCodename?: string;
  variantId?: string;
  buildId?: string;
  cpeName?: string;
  /** The file the release was read from. */
  source: string;
}

/**
 * The release files read, in the order tried: syft's (os-release twice, system-release-cpe,
 * redhat-release), then the distribution files other scanners read when those are missing.
 * `/etc/debian_version` also supplements a Debian os-release with the point release.
 */
export const RELEASE_FILES: readonly string[] = [
  "/etc/os-release",
  "/usr/lib/os-release",
  "/etc/system-release-cpe",
  "/etc/redhat-release",
  "/etc/centos-release",
  "/etc/alpine-release",
  "/etc/debian_version",
];

/** The release files' contents by absolute path (`/etc/os-release`), as far as the image has them. */
export type ReleaseFiles = ReadonlyMap<string, Buffer | string> | Readonly<Record<string, Buffer | string>>;

/**
 * Identifies the distribution from the release files present, with syft's precedence: the first file that
 * yields a release wins; a Debian release then takes its point release from /etc/debian_version.
 * Only the first 4 MiB of each file are read. Undefined when no file says anything.
 */
export function identifyRelease(files: ReleaseFiles): OsRelease | undefined {
  const read = (path: string): string | undefined => {
    const content = lookup(files, path);
    if (content === undefined) return undefined;
    // As syft, only the first 4 MiB count: a huge release file must not hide the distro
    const head =
      typeof content === "string"
        ? content.slice(0, METADATA_MAX_BYTES)
        : content.subarray(0, METADATA_MAX_BYTES);
    return textOf(head, path, path, 4 * METADATA_MAX_BYTES);
  };
  for (const path of RELEASE_FILES) {
    const text = read(path);
    if (text === undefined) continue;
    const release = parseReleaseFile(path, text);
    if (release === undefined) continue;
    if (release.id?.toLowerCase() === "debian") supplementDebianVersion(release, read("/etc/debian_version"));
    return release;
  }
  return undefined;
}

/**
 * The model's Distro for a release: `name` is the ID, or the first ID_LIKE entry when the file has no ID
 * (so matching can still use the family); `version` is VERSION_ID. Undefined when neither names a distro.
 */
export function distroOf(release: OsRelease): Distro | undefined {
  const name = release.id ?? release.idLike[0];
  if (name === undefined || name === "") return undefined;
  const distro: Distro = { name: name.toLowerCase() };
  if (release.versionId) distro.version = release.versionId;
  if (release.idLike.length > 0) distro.like = [...release.idLike];
  return distro;
}

/**
 * Reads os-release `KEY=value` lines: values unquoted ("…" or '…'), backslash escapes in double quotes
 * resolved, comments and malformed lines ignored, as systemd documents the format.
 */
export function parseOsReleaseText(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const raw of splitLines(text)) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const match = /^([A-Za-z0-9_]+)=(.*)$/.exec(line);
    if (!match) continue;
    values[match[1] as string] = unquote(match[2] as string);
  }
  return values;
}

function unquote(value: string): string {
  const v = value.trim();
  if (v.length >= 2 && v.startsWith("'") && v.endsWith("'")) return v.slice(1, -1);
  if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) {
    return v.slice(1, -1).replace(/\\([\\"$`])/g, "$1");
  }
  return v;
}

function parseReleaseFile(path: string, text: string): OsRelease | undefined {
  switch (path) {
    case "/etc/os-release":
    case "/usr/lib/os-release":
      return fromOsRelease(path, text);
    case "/etc/system-release-cpe":
      return fromSystemReleaseCpe(path, text);
    case "/etc/redhat-release":
    case "/etc/centos-release":
      return fromRedhatRelease(path, text);
    case "/etc/alpine-release":
      return fromAlpineRelease(path, text);
    case "/etc/debian_version":
      return fromDebianVersion(path, text);
    default:
      return undefined;
  }
}

function fromOsRelease(path: string, text: string): OsRelease | undefined {
  const v = parseOsReleaseText(text);
  const release: OsRelease = {
    id: v.ID || undefined,
    name: v.NAME || undefined,
    prettyName: v.PRETTY_NAME || undefined,
    idLike: (v.ID_LIKE ?? "").split(/\s+/).filter((s) => s !== ""),
    version: v.VERSION || undefined,
    versionId: v.VERSION_ID || undefined,
    versionCodename: v.VERSION_CODENAME || undefined,
    variantId: v.VARIANT_ID || undefined,
    buildId: v.BUILD_ID || undefined,
    cpeName: v.CPE_NAME || undefined,
    source: path,
  };
  // An os-release with none of the fields syft reads says nothing: try the next file
  const said = Object.entries(v).some(([key, value]) => value !== "" && OS_RELEASE_KEYS.has(key));
  return said ? dropUndefined(release) : undefined;
}

const OS_RELEASE_KEYS = new Set([
  "PRETTY_NAME",
  "NAME",
  "ID",
  "ID_LIKE",
  "VERSION",
  "VERSION_ID",
  "VERSION_CODENAME",
  "BUILD_ID",
  "IMAGE_ID",
  "IMAGE_VERSION",
  "VARIANT",
  "VARIANT_ID",
  "HOME_URL",
  "SUPPORT_URL",
  "BUG_REPORT_URL",
  "PRIVACY_POLICY_URL",
  "CPE_NAME",
  "SUPPORT_END",
]);

// cpe:/o:centos:linux:6:GA names the vendor and version (CentOS 6 has no os-release)
function fromSystemReleaseCpe(path: string, text: string): OsRelease | undefined {
  const match = /cpe:\/o:([^:\n]*):[^:\n]*:([^:\n]*)/.exec(text);
  if (!match?.[1] || !match[2]) return undefined;
  const id = match[1].toLowerCase();
  return {
    id,
    name: match[1],
    prettyName: match[1],
    idLike: [id],
    version: match[2],
    versionId: match[2],
    cpeName: match[0],
    source: path,
  };
}

// "CentOS release 6.10 (Final)", "Red Hat Enterprise Linux release 8.10 (Ootpa)"
function fromRedhatRelease(path: string, text: string): OsRelease | undefined {
  const content = text.trim();
  const match = /^(.*?)\srelease\s((\d\.\d+).*)/.exec(content);
  if (!match?.[1] || !match[3]) return undefined;
  const name = match[1];
  let version = match[2] as string;
  const versionId = match[3];
  let id = name.toLowerCase();
  if (id.startsWith("red hat enterprise linux")) id = "rhel";
  else if (id.startsWith("centos")) version = versionId;
  else if (id.startsWith("rocky linux")) id = "rocky";
  else if (id.startsWith("scientific linux")) id = "scientific";
  // A redhat-release file means a RHEL rebuild: `rhel` lets matching fall back to RHEL data
  const idLike = id === "rhel" ? [id] : [id, "rhel"];
  return { id, name, prettyName: content, idLike, version, versionId, source: path };
}

function fromAlpineRelease(path: string, text: string): OsRelease | undefined {
  const version = text.trim().split(/\s+/)[0];
  if (!version || !/^\d+(\.\d+)*/.test(version)) return undefined;
  return { id: "alpine", name: "Alpine Linux", idLike: [], version, versionId: version, source: path };
}

function fromDebianVersion(path: string, text: string): OsRelease | undefined {
  const version = debianPointRelease(text);
  if (version === undefined) return undefined;
  return { id: "debian", name: "Debian GNU/Linux", idLike: [], version, versionId: version, source: path };
}

// Only `12` or `12.5`: testing images say `trixie/sid`, which is no version
function debianPointRelease(text: string | undefined): string | undefined {
  const version = text?.trim();
  return version !== undefined && /^\d+(?:\.\d+)?$/.test(version) ? version : undefined;
}

function supplementDebianVersion(release: OsRelease, debianVersion: string | undefined): void {
  const version = debianPointRelease(debianVersion);
  if (version === undefined) return;
  release.versionId = version;
  release.version ??= version;
}

function lookup(files: ReleaseFiles, path: string): Buffer | string | undefined {
  if (files instanceof Map) return files.get(path) ?? files.get(path.slice(1));
  const record = files as Readonly<Record<string, Buffer | string>>;
  return Object.hasOwn(record, path)
    ? record[path]
    : Object.hasOwn(record, path.slice(1))
      ? record[path.slice(1)]
      : undefined;
}

function dropUndefined(release: OsRelease): OsRelease {
  for (const key of Object.keys(release) as (keyof OsRelease)[]) {
    if (release[key] === undefined) delete release[key];
  }
  return release;
}
