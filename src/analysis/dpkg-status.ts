import type { Distro } from "../model/index.js";
import type { AnalysedPackage, PackageFile, PackageReadResult, SkippedEntry } from "./analysed-package.js";
import { debPurl } from "./package-url.js";
import { DATABASE_MAX_BYTES, METADATA_MAX_BYTES, parseError, splitLines, textOf } from "./text-input.js";

/** Where a dpkg database was found and what it belongs to. */
export interface DpkgReadOptions {
  /** Path of the file in the image (`/var/lib/dpkg/status`, `/var/lib/dpkg/status.d/libc6`). */
  path?: string;
  /** The image's distribution, for the purl's namespace and `distro` qualifier. */
  distro?: Distro;
  /** Byte limit of the file; 256 MiB by default. */
  maxBytes?: number;
}

const WHAT = "the dpkg status database";

/**
 * Reads a dpkg `status` file, or one distroless `status.d/` entry, into packages (name, version, source
 * package and version, architecture, installed size, maintainer, conffiles, dependencies, purl).
 * Left out, and listed in `skipped`: entries without a name; entries dpkg marks for removal or purge, or
 * whose state is `not-installed` or `config-files` (status.d entries have no Status and are installed);
 * entries without a version or with one dpkg would refuse, as trivy drops them. A continuation line with
 * no field before it or a field given twice in one entry makes the whole file unreadable, as in syft:
 * throws CIP_PACKAGE_DB_INVALID naming the line.
 */
export function readDpkgStatus(input: Buffer | string, options: DpkgReadOptions = {}): PackageReadResult {
  const path = options.path ?? "/var/lib/dpkg/status";
  const text = textOf(input, WHAT, path, options.maxBytes ?? DATABASE_MAX_BYTES);
  const packages: AnalysedPackage[] = [];
  const skipped: SkippedEntry[] = [];
  for (const stanza of stanzas(text, path)) {
    const outcome = toPackage(stanza, path, options.distro);
    if ("reason" in outcome) skipped.push(outcome);
    else packages.push(outcome);
  }
  return { packages, skipped };
}

/**
 * Reads a dpkg `.md5sums` file (`<md5>  <path relative to />` per line) into the files the package
 * installed, as syft lists them for a distroless status.d entry. Malformed lines are ignored.
 */
export function readDpkgMd5sums(
  input: Buffer | string,
  path: string,
  maxBytes = METADATA_MAX_BYTES,
): PackageFile[] {
  const files: PackageFile[] = [];
  for (const line of splitLines(textOf(input, "a dpkg md5sums file", path, maxBytes))) {
    const match = /^([0-9a-fA-F]{32})\s+(.+)$/.exec(line.trim());
    if (!match) continue;
    const file = (match[2] as string).replace(/^\.?\/*/, "");
    files.push({ path: `/${file}`, digest: `md5:${(match[1] as string).toLowerCase()}` });
  }
  return files;
}

/** The kind of dpkg database file a path is, or undefined: the layer walker decides with this what to read. */
export function dpkgFileKind(path: string): "status" | "status.d" | "md5sums" | undefined {
  const p = path.startsWith("/") ? path : `/${path}`;
  if (p === "/var/lib/dpkg/status") return "status";
  const inStatusD = /^\/var\/lib\/dpkg\/status\.d\/[^/]+$/.test(p);
  if (p.endsWith(".md5sums") && (inStatusD || /^\/var\/lib\/dpkg\/info\/[^/]+$/.test(p))) return "md5sums";
  return inStatusD ? "status.d" : undefined;
}

/**
 * The package a `.md5sums` file belongs to: `status.d/libc6.md5sums` and `info/libc6:amd64.md5sums` are
 * both libc6's (the `:arch` of multi-arch packages dropped).
 */
export function dpkgMd5sumsPackage(path: string): string | undefined {
  const base = path.split("/").at(-1) ?? "";
  if (!base.endsWith(".md5sums")) return undefined;
  const name = base.slice(0, -".md5sums".length).split(":")[0];
  return name === "" ? undefined : name;
}

/** Whether a dpkg version is one dpkg accepts: `[epoch:]upstream[-revision]`, upstream starting with a digit. */
export function isValidDebVersion(version: string): boolean {
  let rest = version.trim();
  const colon = rest.indexOf(":");
  const hasEpoch = colon >= 0;
  if (hasEpoch) {
    if (!/^\d+$/.test(rest.slice(0, colon))) return false;
    rest = rest.slice(colon + 1);
  }
  const dash = rest.lastIndexOf("-");
  const upstream = dash >= 0 ? rest.slice(0, dash) : rest;
  if (dash >= 0 && !/^[A-Za-z0-9.+~]+$/.test(rest.slice(dash + 1))) return false;
  if (!/^\d/.test(upstream)) return false;
  const allowed = hasEpoch ? /^[A-Za-z0-9.+~:-]*$/ : /^[A-Za-z0-9.+~-]*$/;
  return allowed.test(upstream);
}

interface Stanza {
  line: number;
  fields: Map<string, string>;
}

/** Splits the file into entries of fields; continuation lines join their field's value with newlines. */
function* stanzas(text: string, path: string): Generator<Stanza> {
  let current: Stanza | undefined;
  let key: string | undefined;
  const lines = splitLines(text);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line === "") {
      if (current) yield current;
      current = undefined;
      key = undefined;
      continue;
    }
    current ??= { line: i + 1, fields: new Map() };
    if (line.startsWith(" ") || line.startsWith("\t")) {
      if (key === undefined) {
        throw parseError(WHAT, "a continuation line follows no field", path, i + 1);
      }
      current.fields.set(key, `${current.fields.get(key) ?? ""}\n${line.trim()}`);
      continue;
    }
    const colon = line.indexOf(":");
    if (colon <= 0) {
      // syft skips a line that is no field; a continuation of it is then an error
      key = undefined;
      continue;
    }
    key = line.slice(0, colon).trim().toLowerCase();
    if (current.fields.has(key)) {
      throw parseError(WHAT, `field ${line.slice(0, colon).trim()} appears twice in one entry`, path, i + 1);
    }
    current.fields.set(key, line.slice(colon + 1).trim());
  }
  if (current) yield current;
}

const NOT_INSTALLED_WANTS = new Set(["deinstall", "purge"]);
const NOT_INSTALLED_STATES = new Set(["not-installed", "config-files"]);

function toPackage(stanza: Stanza, path: string, distro: Distro | undefined): AnalysedPackage | SkippedEntry {
  const get = (key: string): string | undefined => stanza.fields.get(key) || undefined;
  const name = get("package");
  const line = stanza.line;
  if (name === undefined) return { line, reason: "no package name" };
  const status = get("status");
  if (status !== undefined) {
    const [want, , state] = status.split(/\s+/);
    if ((want && NOT_INSTALLED_WANTS.has(want)) || (state && NOT_INSTALLED_STATES.has(state))) {
      return { name, line, reason: `not installed (status ${status})` };
    }
  }
  const version = get("version");
  if (version === undefined) return { name, line, reason: "no version" };
  if (!isValidDebVersion(version))
    return { name, line, reason: `invalid version ${JSON.stringify(version)}` };

  const pkg: AnalysedPackage = { name, version, type: "dpkg", path };
  const source = get("source");
  if (source !== undefined) {
    const match = /^(\S+)(?:\s+\((.*)\))?/.exec(source);
    const sourceVersion = match?.[2]?.trim() || version;
    if (!isValidDebVersion(sourceVersion)) {
      return { name, line, reason: `invalid source version ${JSON.stringify(sourceVersion)}` };
    }
    pkg.sourceName = match?.[1] ?? source;
    pkg.sourceVersion = sourceVersion;
  }
  const arch = get("architecture");
  if (arch !== undefined) pkg.arch = arch;
  const maintainer = get("maintainer");
  if (maintainer !== undefined) pkg.maintainer = maintainer;
  const size = installedSize(get("installed-size"));
  if (size !== undefined) pkg.installedSize = size;
  const conffiles = get("conffiles");
  if (conffiles !== undefined) pkg.files = conffileRecords(conffiles);
  const depends = dependencyNames([get("pre-depends"), get("depends")]);
  if (depends.length > 0) pkg.dependsOn = depends;
  pkg.purl = debPurl(name, version, arch, distro);
  return pkg;
}

const UNITS: Record<string, number> = {
  "": 1,
  b: 1,
  k: 1000,
  kb: 1000,
  m: 1000 ** 2,
  mb: 1000 ** 2,
  g: 1000 ** 3,
  gb: 1000 ** 3,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
};

/** dpkg writes KiB as a bare number; syft reads a unit suffix (`4KB` is 4000) when one is written. */
function installedSize(value: string | undefined): number | undefined {
  const match = value === undefined ? null : /^(\d+(?:\.\d+)?)\s*([a-zA-Z]*)$/.exec(value.trim());
  if (!match) return undefined;
  const unit = UNITS[(match[2] as string).toLowerCase()];
  if (unit === undefined) return undefined;
  const size = Math.round(Number(match[1]) * unit);
  return Number.isSafeInteger(size) ? size : undefined;
}

// " /etc/pam.conf 87fc76f18e98ee7d3848f6b81b3391e5 [obsolete]"
function conffileRecords(value: string): PackageFile[] {
  const files: PackageFile[] = [];
  for (const line of value.split("\n")) {
    const [file, md5] = line.trim().split(/\s+/);
    if (!file?.startsWith("/")) continue;
    files.push(
      md5 && /^[0-9a-f]{32}$/i.test(md5)
        ? { path: file, digest: `md5:${md5.toLowerCase()}` }
        : { path: file },
    );
  }
  return files;
}

// "libc6 (>= 2.14), debconf (>= 0.5) | debconf-2.0, perl:any" → every alternative's name, once
function dependencyNames(values: (string | undefined)[]): string[] {
  const names = new Set<string>();
  for (const value of values) {
    if (value === undefined) continue;
    for (const alternative of value.split(/[,|]/)) {
      const name = alternative.trim().split(/[\s(:[]/)[0];
      if (name) names.add(name);
    }
  }
  return [...names];
}
