import { createHash, type Hash } from "node:crypto";
import type { ReadEntry } from "tar";
import { type FileEntry, isCipError, type SecretFinding } from "../../model/index.js";
import type { AnalysedPackage } from "../analysed-package.js";
import { goPackages, readGoBuildInfo } from "../lang/go-buildinfo.js";
import { readNpmPackageJson } from "../lang/npm-package-json.js";
import { readPythonMetadata } from "../lang/python-metadata.js";
import { readGemspec } from "../lang/ruby-gemspec.js";
import { javaArchivePackages } from "./java-archive.js";
import { type ImageBudget, type LayerStreamLimits, scanLayerTar } from "./layer-tar.js";
import { type SecretMatcher, SecretSearch } from "./secret-search.js";
import { isDatabaseKind, type WantedKind, wantedKind } from "./wanted-files.js";

/** Bounds and switches of a layer analysis; every size is in bytes. */
export interface LayerDeltaOptions extends LayerStreamLimits {
  /** Hash every regular file (sha256); off by default since it costs time. */
  sha256: boolean;
  /** A package database or release file kept whole (larger ones are a problem). */
  maxDatabaseBytes: number;
  /** A language metadata file (package.json, METADATA, gemspec) kept whole. */
  maxMetadataBytes: number;
  /** Every wanted file of one layer together. */
  maxWantedBytes: number;
  /** An ELF executable held to read its Go build info; larger ones are skipped. */
  maxGoBinaryBytes: number;
  /** A jar, war or ear held to read its central directory; larger ones are skipped. */
  maxJarBytes: number;
  /** A text file searched for secrets; larger ones are searched up to here. */
  maxSecretFileBytes: number;
  /** The compiled secret regexes; undefined turns the search off. */
  secrets?: SecretMatcher;
}

/** One path as a layer writes it: the model's FileEntry (absolute path, type bits in mode) plus owner. */
export interface DeltaEntry extends FileEntry {
  uid: number;
  gid: number;
}

/**
 * What one layer changes: its entries by absolute path (the last one of a path wins, as tar extraction
 * does), what it deletes (whiteouts) and hides (opaque directories), the bytes of the package databases
 * and release files it writes, and what was read from its files as they passed: language packages and
 * secret findings, by path. Memory is bounded by the entry count and the wanted bytes, never the layer size.
 */
export interface LayerDelta {
  digest: string;
  entries: Map<string, DeltaEntry>;
  /** Paths a `.wh.NAME` deletes, with their subtrees, from lower layers. */
  whiteouts: Set<string>;
  /** Directories a `.wh..wh..opq` empties of everything lower layers put in them. */
  opaqueDirs: Set<string>;
  /** OS package databases, release files and /etc/passwd, whole, by path. */
  databases: Map<string, { kind: WantedKind; content: Buffer }>;
  /** Packages read from language metadata, jars and Go binaries, by the path of their file. */
  packages: Map<string, AnalysedPackage[]>;
  secrets: Map<string, SecretFinding[]>;
  problems: string[];
  stats: { entries: number; tarBytes: number; compressedBytes: number; gzip: boolean };
}

const S_IFMT = {
  file: 0o100000,
  dir: 0o040000,
  symlink: 0o120000,
  hardlink: 0o100000,
} as const;
const OTHER_TYPE_BITS: Record<string, number> = {
  CharacterDevice: 0o020000,
  BlockDevice: 0o060000,
  FIFO: 0o010000,
};
const ELF_MAGIC = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);
const HEAD_BYTES = 512;
const MAX_PROBLEMS = 200;
const OPAQUE = ".wh..wh..opq";
const WHITEOUT = ".wh.";

/**
 * Normalises a tar entry path to an absolute image path: `./`, `/` and `.` segments dropped, `..`
 * resolved. Undefined when `..` would climb above the root: such an entry is dropped, never written.
 */
export function normaliseEntryPath(raw: string): string | undefined {
  const parts: string[] = [];
  for (const part of raw.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (parts.length === 0) return undefined;
      parts.pop();
      continue;
    }
    parts.push(part);
  }
  return `/${parts.join("/")}`;
}

/**
 * Reads one layer's tar stream (gzip or plain) once into its delta. Entries escaping the root with `..`
 * are dropped with a problem; symlinks are recorded as data, never followed; devices and FIFOs become
 * `other`. Throws CIP_DECOMPRESSION_LIMIT past a byte or entry limit, CIP_IMAGE_INVALID for a damaged or
 * zstd stream.
 */
export async function readLayerDelta(
  digest: string,
  source: AsyncIterable<Buffer>,
  options: LayerDeltaOptions,
  budget: ImageBudget = { tarBytes: 0, entries: 0 },
): Promise<LayerDelta> {
  const delta: LayerDelta = {
    digest,
    entries: new Map(),
    whiteouts: new Set(),
    opaqueDirs: new Set(),
    databases: new Map(),
    packages: new Map(),
    secrets: new Map(),
    problems: [],
    stats: { entries: 0, tarBytes: 0, compressedBytes: 0, gzip: false },
  };
  const wanted = { bytes: 0 };
  const problem = (text: string) => {
    if (delta.problems.length < MAX_PROBLEMS) delta.problems.push(`${text} (layer ${digest})`);
  };
  const scan = await scanLayerTar(source, `layer ${digest}`, options, budget, (entry, fail) => {
    const path = normaliseEntryPath(entry.path);
    if (path === undefined) {
      problem(`entry ${JSON.stringify(entry.path)} climbs out of the root with "..": dropped`);
      entry.resume();
      return;
    }
    const name = path.slice(path.lastIndexOf("/") + 1);
    if (name.startsWith(WHITEOUT)) {
      const dir = path.slice(0, path.lastIndexOf("/")) || "/";
      if (name === OPAQUE) delta.opaqueDirs.add(dir);
      // Other `.wh..wh.` names are aufs bookkeeping (hard link dirs), not deletions
      else if (!name.startsWith(`${WHITEOUT}${WHITEOUT}`)) {
        delta.whiteouts.add(`${dir === "/" ? "" : dir}/${name.slice(WHITEOUT.length)}`);
      }
      entry.resume();
      return;
    }
    if (path === "/") {
      entry.resume();
      return;
    }
    const record = toDeltaEntry(entry, path, problem);
    delta.entries.set(path, record);
    // A path written twice in one layer: only the last copy's findings count
    delta.packages.delete(path);
    delta.secrets.delete(path);
    delta.databases.delete(path);
    const sink: FileSink = {
      wanted(content, kind) {
        try {
          readWanted(delta, path, kind, content, options, problem);
        } catch (error) {
          if (!isCipError(error)) throw error;
          problem(error.message);
        }
      },
      secrets(findings) {
        if (findings.length > 0) delta.secrets.set(path, findings);
      },
      packages(packages) {
        if (packages.length > 0) delta.packages.set(path, packages);
      },
    };
    if (record.type !== "file" || (entry.size ?? 0) === 0) {
      const kind = record.type === "file" ? wantedKind(path) : undefined;
      if (kind !== undefined) sink.wanted(Buffer.alloc(0), kind);
      entry.resume();
      return;
    }
    streamFile(entry, record, options, wanted, problem, fail, sink);
  });
  delta.stats = {
    entries: scan.entries,
    tarBytes: scan.tarBytes,
    compressedBytes: scan.compressedBytes,
    gzip: scan.gzip,
  };
  return delta;
}

/** Where what is read from one file goes. */
interface FileSink {
  wanted(content: Buffer, kind: WantedKind): void;
  secrets(findings: SecretFinding[]): void;
  packages(packages: AnalysedPackage[]): void;
}

function toDeltaEntry(entry: ReadEntry, path: string, problem: (text: string) => void): DeltaEntry {
  const permissions = (entry.mode ?? 0) & 0o7777;
  const base = { path, uid: entry.uid ?? 0, gid: entry.gid ?? 0 };
  switch (entry.type) {
    case "File":
    case "OldFile":
    case "ContiguousFile":
      return { ...base, type: "file", mode: S_IFMT.file | permissions, size: entry.size ?? 0 };
    case "Directory":
      return { ...base, type: "dir", mode: S_IFMT.dir | permissions };
    case "SymbolicLink":
      // Kept as written: a link out of the image (an absolute target or ../..) is data, never followed
      return {
        ...base,
        type: "symlink",
        mode: S_IFMT.symlink | permissions,
        linkTarget: entry.linkpath ?? "",
      };
    case "Link": {
      const target = normaliseEntryPath(entry.linkpath ?? "");
      if (target === undefined) problem(`hard link ${path} points out of the root (${entry.linkpath})`);
      return {
        ...base,
        type: "hardlink",
        mode: S_IFMT.hardlink | permissions,
        linkTarget: target ?? entry.linkpath ?? "",
      };
    }
    default:
      return { ...base, type: "other", mode: (OTHER_TYPE_BITS[entry.type] ?? 0) | permissions };
  }
}

/**
 * Follows a regular file's bytes once: keeps them when wanted (bounded), holds ELF executables and Java
 * archives up to their limits to read them at the end, searches text for secrets, hashes when asked.
 * The first 512 bytes decide what is binary (a NUL) and what is ELF.
 */
function streamFile(
  entry: ReadEntry,
  record: DeltaEntry,
  options: LayerDeltaOptions,
  wanted: { bytes: number },
  problem: (text: string) => void,
  fail: (error: unknown) => void,
  sink: FileSink,
): void {
  const path = record.path;
  const size = entry.size ?? 0;
  const kind = wantedKind(path);
  const hash: Hash | undefined = options.sha256 ? createHash("sha256") : undefined;
  let head: Buffer[] = [];
  let headLength = 0;
  let decided = false;
  let keep: { chunks: Buffer[]; kind?: WantedKind } | undefined;
  let search: SecretSearch | undefined;
  let searched = 0;

  const decide = (first: Buffer) => {
    decided = true;
    const executable = (record.mode & 0o111) !== 0;
    const elf = first.subarray(0, 4).equals(ELF_MAGIC);
    if (kind !== undefined) {
      const limit =
        kind === "java"
          ? options.maxJarBytes
          : isDatabaseKind(kind)
            ? options.maxDatabaseBytes
            : options.maxMetadataBytes;
      if (size > limit)
        problem(`${path} is ${size} bytes, over the ${limit}-byte limit for its kind: not read`);
      else if (wanted.bytes + size > options.maxWantedBytes)
        problem(`${path} not read: the layer's wanted files are over ${options.maxWantedBytes} bytes`);
      else {
        wanted.bytes += size;
        keep = { chunks: [], kind };
      }
    } else if (elf && executable) {
      // Go build info needs the whole binary (older toolchains point into the data segment): hold it
      if (size <= options.maxGoBinaryBytes) keep = { chunks: [] };
      else
        problem(
          `${path} is an executable of ${size} bytes, over the Go binary limit: its modules are not read`,
        );
    }
    if (options.secrets !== undefined && !elf && !first.includes(0)) {
      search = new SecretSearch(options.secrets, path);
    }
  };
  const take = (chunk: Buffer) => {
    hash?.update(chunk);
    keep?.chunks.push(chunk);
    if (search !== undefined && searched < options.maxSecretFileBytes) {
      const room = options.maxSecretFileBytes - searched;
      search.push(chunk.length > room ? chunk.subarray(0, room) : chunk);
      searched += chunk.length;
    }
  };
  entry.on("data", (chunk: Buffer) => {
    if (decided) {
      take(chunk);
      return;
    }
    head.push(chunk);
    headLength += chunk.length;
    if (headLength < HEAD_BYTES && headLength < size) return;
    const first = Buffer.concat(head, headLength);
    head = [];
    decide(first);
    take(first);
  });
  entry.on("end", () => {
    try {
      if (!decided) {
        const first = Buffer.concat(head, headLength);
        decide(first);
        take(first);
      }
      if (hash !== undefined) record.checksums = { sha256: hash.digest("hex") };
      if (search !== undefined) sink.secrets(search.end());
      if (keep === undefined) return;
      const content = Buffer.concat(keep.chunks);
      if (keep.kind !== undefined) sink.wanted(content, keep.kind);
      else {
        const info = readGoBuildInfo(content);
        if (info !== undefined) sink.packages(goPackages(info, path));
      }
    } catch (error) {
      fail(error);
    }
  });
}

/** Reads a wanted file: databases are kept for the squash; language metadata becomes packages now. */
function readWanted(
  delta: LayerDelta,
  path: string,
  kind: WantedKind,
  content: Buffer,
  options: LayerDeltaOptions,
  problem: (text: string) => void,
): void {
  switch (kind) {
    case "release":
    case "dpkg":
    case "apk":
    case "rpm":
    case "passwd":
      delta.databases.set(path, { kind, content });
      return;
    case "npm":
      setPackages(delta, path, readNpmPackageJson(content, path, options.maxMetadataBytes));
      return;
    case "python":
      setPackages(delta, path, readPythonMetadata(content, path, options.maxMetadataBytes));
      return;
    case "gem":
      setPackages(delta, path, readGemspec(content, path, options.maxMetadataBytes));
      return;
    case "java": {
      const problems: string[] = [];
      const packages = javaArchivePackages(
        content,
        path,
        { maxNestedBytes: options.maxJarBytes, maxEntries: 65_535 },
        problems,
      );
      for (const text of problems) problem(text);
      setPackages(delta, path, packages);
      return;
    }
  }
}

function setPackages(delta: LayerDelta, path: string, packages: AnalysedPackage[]): void {
  if (packages.length > 0) delta.packages.set(path, packages);
}
