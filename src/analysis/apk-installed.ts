import type { CipError, Distro } from "../model/index.js";
import type { AnalysedPackage, PackageFile, PackageReadResult, SkippedEntry } from "./analysed-package.js";
import { apkPurl } from "./package-url.js";
import { DATABASE_MAX_BYTES, parseError, splitLines, textOf } from "./text-input.js";

/** Where an apk database was found and what it belongs to. */
export interface ApkReadOptions {
  /** Path of the file in the image; `/lib/apk/db/installed` by default. */
  path?: string;
  /** The image's distribution, for the purl's namespace and `distro` qualifier. */
  distro?: Distro;
  /** Byte limit of the file; 256 MiB by default. */
  maxBytes?: number;
}

/** The packages of an apk database and the lines that were not database lines. */
export interface ApkReadResult extends PackageReadResult {
  /**
   * One CIP_PACKAGE_DB_INVALID error per line that is not `X:value` (at most 20 kept): a damaged database, reported as
   * syft reports it, beside the packages that could still be read.
   */
  problems: CipError[];
}

const WHAT = "the apk installed database";
const MAX_PROBLEMS = 20;

/**
 * Reads an apk `installed` database (https://wiki.alpinelinux.org/wiki/Apk_spec): one entry per blank-line
 * separated block of `X:value` lines. Gives name (P), version (V), architecture (A), licenses (L), origin
 * as the source package (o), maintainer (m), installed size (I), dependencies (D) and the installed files
 * (F directories, R files, a/M ownership and mode, Z digests). Entries without a name or a version are
 * skipped, as trivy drops them.
 */
export function readApkInstalled(input: Buffer | string, options: ApkReadOptions = {}): ApkReadResult {
  const path = options.path ?? "/lib/apk/db/installed";
  const text = textOf(input, WHAT, path, options.maxBytes ?? DATABASE_MAX_BYTES);
  const packages: AnalysedPackage[] = [];
  const skipped: SkippedEntry[] = [];
  const problems: CipError[] = [];
  let entry: Entry | undefined;
  const finish = (): void => {
    if (entry === undefined) return;
    const outcome = toPackage(entry, path, options.distro);
    if ("reason" in outcome) skipped.push(outcome);
    else packages.push(outcome);
    entry = undefined;
  };
  const lines = splitLines(text);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line === "") {
      finish();
      continue;
    }
    if (line.length < 2 || line[1] !== ":") {
      if (problems.length < MAX_PROBLEMS) {
        problems.push(
          parseError(WHAT, `line ${JSON.stringify(line.slice(0, 60))} is not a field`, path, i + 1),
        );
      }
      continue;
    }
    const value = line.slice(2);
    // syft skips a field with no value; it starts no entry either
    if (value === "") continue;
    entry ??= { line: i + 1, fields: {}, files: [], dir: "" };
    apply(entry, line[0] as string, value);
  }
  finish();
  return { packages, skipped, problems };
}

/** Whether a path is an apk installed database. */
export function isApkDatabasePath(path: string): boolean {
  return path.replace(/^\/?/, "/") === "/lib/apk/db/installed";
}

interface Entry {
  line: number;
  fields: Record<string, string>;
  files: PackageFile[];
  /** Directory the R: lines that follow belong to. */
  dir: string;
  /** The file the a:/Z: lines that follow describe. */
  lastFile?: PackageFile;
}

function apply(entry: Entry, key: string, value: string): void {
  switch (key) {
    case "F":
      entry.dir = value.replace(/^\/+|\/+$/g, "");
      entry.lastFile = undefined;
      return;
    case "R": {
      const file: PackageFile = { path: `/${entry.dir === "" ? "" : `${entry.dir}/`}${value}` };
      entry.files.push(file);
      entry.lastFile = file;
      return;
    }
    case "a":
      if (entry.lastFile) Object.assign(entry.lastFile, ownership(value));
      return;
    case "Z":
      if (entry.lastFile) entry.lastFile.digest = value;
      return;
    case "M":
      return;
    default:
      // First value wins: a repeated header field in one entry is damage, not an update
      if (!(key in entry.fields)) entry.fields[key] = value;
  }
}

// "0:0:755" and, in newer databases, "0:0:755:Q1…" (the digest comes again on the Z: line)
function ownership(value: string): Pick<PackageFile, "owner" | "mode"> {
  const [uid, gid, mode] = value.split(":");
  const result: Pick<PackageFile, "owner" | "mode"> = {};
  if (uid && gid) result.owner = `${uid}:${gid}`;
  if (mode && /^[0-7]{1,6}$/.test(mode)) result.mode = Number.parseInt(mode, 8);
  return result;
}

function toPackage(entry: Entry, path: string, distro: Distro | undefined): AnalysedPackage | SkippedEntry {
  const f = entry.fields;
  const line = entry.line;
  if (!f.P) return { line, reason: "no package name" };
  if (!f.V) return { name: f.P, line, reason: "no version" };
  const pkg: AnalysedPackage = { name: f.P, version: f.V, type: "apk", path };
  if (f.L) pkg.licenses = apkLicenses(f.L);
  if (f.o) {
    pkg.sourceName = f.o;
    pkg.sourceVersion = f.V;
  }
  if (f.A) pkg.arch = f.A;
  if (f.m) pkg.maintainer = f.m;
  if (f.I && /^\d+$/.test(f.I)) pkg.installedSize = Number(f.I);
  if (f.D) {
    const deps = f.D.split(/\s+/)
      .filter((d) => d !== "" && !d.startsWith("!"))
      .map((d) => d.split(/[<>=~]/)[0] as string);
    if (deps.length > 0) pkg.dependsOn = [...new Set(deps)];
  }
  if (entry.files.length > 0) pkg.files = entry.files;
  pkg.purl = apkPurl(f.P, f.V, f.A, distro);
  return pkg;
}

/** An SPDX expression (`MIT AND BSD-2-Clause`) stays one entry; older space-separated lists are split. */
function apkLicenses(value: string): string[] {
  const text = value.trim();
  if (/\s(AND|OR|WITH)\s|[()]/.test(text)) return [text];
  return text.split(/\s+/).filter((l) => l !== "");
}
