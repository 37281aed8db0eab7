import type { Readable } from "node:stream";
import { defaultMaxDecompressedBytes } from "../../image/archive-limits.js";
import {
  CipError,
  type Distro,
  type FileEntry,
  type ImageFacts,
  isCipError,
  type Package,
  type SecretFinding,
} from "../../model/index.js";
import type { AnalysedPackage } from "../analysed-package.js";
import { readApkInstalled } from "../apk-installed.js";
import { readDpkgStatus } from "../dpkg-status.js";
import { distroOf, identifyRelease } from "../os-release.js";
import { readRpmDatabase } from "../rpm/read-rpm-database.js";
import { DATABASE_MAX_BYTES, METADATA_MAX_BYTES } from "../text-input.js";
import { type LayerDelta, type LayerDeltaOptions, readLayerDelta } from "./layer-delta.js";
import type { ImageBudget } from "./layer-tar.js";
import { secretMatcher } from "./secret-search.js";
import { layerTouches, type SquashedView, squashLayers } from "./squash-layers.js";

/** One layer to analyse: its digest (or, in a docker-archive, its path) and a way to stream its bytes. */
export interface LayerSource {
  digest: string;
  open(): Promise<Readable | AsyncIterable<Buffer>>;
}

/** How to analyse an image's layers; every limit has a default. */
export interface AnalyseLayersOptions extends Partial<Omit<LayerDeltaOptions, "secrets">> {
  /**
   * The layers' digests (or archive paths) in manifest order, when the sources may come in another; a
   * function is asked once every layer is read (a docker-archive's manifest.json may come last).
   */
  order?: readonly string[] | (() => readonly string[]);
  /** Search text files for secrets (default true). */
  searchSecrets?: boolean;
  /** Secret regexes by name (Python syntax); RE2-safe forms of anchore-engine's defaults when absent. */
  secretRegexes?: Readonly<Record<string, string>>;
}

/** What a layer analysis found in an image's final filesystem. */
export interface LayerAnalysis {
  distro?: Distro;
  /** Each with `layer`: the digest of the layer that added it. */
  packages: AnalysedPackage[];
  files: FileEntry[];
  secrets: SecretFinding[];
  passwd?: string;
  problems: string[];
  stats: { layers: number; entries: number; bytes: number };
}

const MiB = 1024 * 1024;

/**
 * Every limit at its default: 16 GiB of tar per layer and per image (as for archives), 1,000,000 entries
 * per layer and 4,000,000 per image; 256 MiB per package database, 4 MiB per metadata file, 512 MiB of
 * wanted files per layer, Go binaries up to 256 MiB, jars up to 64 MiB, secrets searched in the first
 * 16 MiB of each text file; no hashing.
 */
export function defaultLayerOptions(): Omit<LayerDeltaOptions, "secrets"> {
  const bytes = defaultMaxDecompressedBytes(0);
  return {
    maxLayerBytes: bytes,
    maxImageBytes: bytes,
    maxLayerEntries: 1_000_000,
    maxImageEntries: 4_000_000,
    sha256: false,
    maxDatabaseBytes: DATABASE_MAX_BYTES,
    maxMetadataBytes: METADATA_MAX_BYTES,
    maxWantedBytes: 512 * MiB,
    maxGoBinaryBytes: 256 * MiB,
    maxJarBytes: 64 * MiB,
    maxSecretFileBytes: 16 * MiB,
  };
}

/**
 * Analyses an image's layers: streams each once into a delta (never to disk), squashes the deltas in
 * manifest order (`options.order`, else the order given) into the final filesystem, and reads it: the
 * distribution, OS packages (dpkg, apk, rpm; each dated by the layer where its database entry first
 * appeared at that version), language packages (npm, Python, gems, Java archives, Go binaries; dated by
 * their file's layer), files, secrets and /etc/passwd. Throws CIP_DECOMPRESSION_LIMIT past a limit and
 * CIP_IMAGE_INVALID for a damaged or zstd layer; damaged databases and odd entries are `problems`.
 */
export async function analyseLayers(
  layers: AsyncIterable<LayerSource> | Iterable<LayerSource>,
  options: AnalyseLayersOptions = {},
): Promise<LayerAnalysis> {
  const matcher = options.searchSecrets === false ? undefined : secretMatcher(options.secretRegexes);
  const deltaOptions: LayerDeltaOptions = {
    ...defaultLayerOptions(),
    ...definedOnly(options),
    secrets: matcher,
  };
  const budget: ImageBudget = { tarBytes: 0, entries: 0 };
  const read = new Map<string, LayerDelta>();
  for await (const layer of layers) {
    if (read.has(layer.digest)) continue;
    const stream = await layer.open();
    read.set(layer.digest, await readLayerDelta(layer.digest, stream, deltaOptions, budget));
  }
  const deltas = inOrder(read, typeof options.order === "function" ? options.order() : options.order);
  const view = squashLayers(deltas);
  const problems = [...(matcher?.problems ?? []), ...deltas.flatMap((d) => d.problems), ...view.problems];
  const analysis: LayerAnalysis = {
    packages: [],
    files: [],
    secrets: [],
    problems,
    stats: { layers: deltas.length, entries: budget.entries, bytes: budget.tarBytes },
  };
  const content = (path: string): Buffer | undefined => {
    const file = view.files.get(path);
    return file === undefined ? undefined : deltas[file.layer]?.databases.get(path)?.content;
  };
  const releaseFiles = new Map<string, Buffer>();
  for (const [path, file] of view.files) {
    const db = deltas[file.layer]?.databases.get(path);
    if (db?.kind === "release") releaseFiles.set(path, db.content);
  }
  const release = guard(problems, () => identifyRelease(releaseFiles));
  if (release !== undefined) analysis.distro = distroOf(release);
  const passwd = content("/etc/passwd");
  if (passwd !== undefined) analysis.passwd = passwd.toString("utf8");
  analysis.packages.push(...osPackages(deltas, view, analysis.distro, problems));
  for (const [path, file] of view.files) {
    const delta = deltas[file.layer] as LayerDelta;
    for (const pkg of delta.packages.get(path) ?? []) analysis.packages.push({ ...pkg, layer: delta.digest });
    analysis.secrets.push(...(delta.secrets.get(path) ?? []));
    analysis.files.push(fileEntry(file.entry, view));
  }
  return analysis;
}

/**
 * The facts the gates read from a layer analysis: packages (the model's fields only), distro, files,
 * secrets, /etc/passwd, and a provenance entry naming this analysis.
 */
export function layerAnalysisFacts(analysis: LayerAnalysis): Partial<ImageFacts> {
  const facts: Partial<ImageFacts> = {
    packages: analysis.packages.map(modelPackage),
    files: analysis.files,
    secrets: analysis.secrets,
    provenance: [{ source: "cipolice-analysis", location: `${analysis.stats.layers} layers` }],
  };
  if (analysis.distro !== undefined) facts.distro = analysis.distro;
  if (analysis.passwd !== undefined) facts.passwd = analysis.passwd;
  return facts;
}

/** Package types of OS package databases: the model's `path` locates language packages only. */
const OS_PACKAGE_TYPES = new Set(["dpkg", "deb", "apk", "rpm"]);

function modelPackage(pkg: AnalysedPackage): Package {
  const out: Package = { name: pkg.name, version: pkg.version, type: pkg.type };
  const keys = ["path", "purl", "licenses", "sourceName", "sourceVersion", "arch", "layer"] as const;
  for (const key of OS_PACKAGE_TYPES.has(pkg.type) ? keys.slice(1) : keys) {
    if (pkg[key] !== undefined) (out as unknown as Record<string, unknown>)[key] = pkg[key];
  }
  return out;
}

/** The OS packages of the final view, each dated by the layer where its database entry appeared. */
function osPackages(
  deltas: readonly LayerDelta[],
  view: SquashedView,
  distro: Distro | undefined,
  problems: string[],
): AnalysedPackage[] {
  const packages: AnalysedPackage[] = [];
  for (const [path, file] of view.files) {
    const db = deltas[file.layer]?.databases.get(path);
    if (db === undefined) continue;
    const where = `${path} in layer ${deltas[file.layer]?.digest}`;
    const parse = (bytes: Buffer): AnalysedPackage[] => {
      if (db.kind === "dpkg") return readDpkgStatus(bytes, { path, distro }).packages;
      if (db.kind === "apk") {
        const result = readApkInstalled(bytes, { path, distro });
        for (const error of result.problems.slice(0, 5)) problems.push(error.message);
        return result.packages;
      }
      if (db.kind === "rpm") return readRpmDatabase(bytes, { where, distroId: distro?.name }).packages;
      return [];
    };
    if (db.kind !== "dpkg" && db.kind !== "apk" && db.kind !== "rpm") continue;
    packages.push(...datedPackages(deltas, path, parse, problems));
  }
  return packages;
}

/**
 * Parses every version of one database file the layers write, in order, and dates each final package by
 * the first layer since which its name, version and architecture have been in the database without a
 * break. The last layer that touches the path is the one the final view has.
 */
function datedPackages(
  deltas: readonly LayerDelta[],
  path: string,
  parse: (bytes: Buffer) => AnalysedPackage[],
  problems: string[],
): AnalysedPackage[] {
  const key = (p: AnalysedPackage) => `${p.type}\u0000${p.name}\u0000${p.version}\u0000${p.arch ?? ""}`;
  let since = new Map<string, number>();
  let latest: AnalysedPackage[] = [];
  deltas.forEach((delta, layer) => {
    if (!layerTouches(delta, path)) return;
    const db = delta.entries.has(path) ? delta.databases.get(path) : undefined;
    const parsed = db === undefined ? [] : (guard(problems, () => parse(db.content)) ?? []);
    const next = new Map<string, number>();
    for (const pkg of parsed) next.set(key(pkg), since.get(key(pkg)) ?? layer);
    since = next;
    latest = parsed;
  });
  return latest.map((pkg) => ({ ...pkg, layer: deltas[since.get(key(pkg)) ?? 0]?.digest }));
}

function fileEntry(entry: FileEntry & { uid?: number; gid?: number }, view: SquashedView): FileEntry {
  const out: FileEntry = { path: entry.path, mode: entry.mode, type: entry.type };
  if (entry.size !== undefined) out.size = entry.size;
  if (entry.linkTarget !== undefined) out.linkTarget = entry.linkTarget;
  if (entry.type === "hardlink") {
    const target = view.files.get(entry.linkTarget ?? "")?.entry;
    if (target?.size !== undefined) out.size = target.size;
    if (target?.checksums !== undefined) out.checksums = target.checksums;
  }
  if (entry.checksums !== undefined) out.checksums = entry.checksums;
  return out;
}

function inOrder(read: Map<string, LayerDelta>, order: readonly string[] | undefined): LayerDelta[] {
  if (order === undefined) return [...read.values()];
  const missing = order.filter((digest) => !read.has(digest));
  if (missing.length > 0) {
    throw new CipError(
      "CIP_IMAGE_INVALID",
      `Cannot analyse layers: the manifest names ${missing.length} layer(s) the image does not hold (${missing.slice(0, 3).join(", ")})`,
    );
  }
  return order.map((digest) => read.get(digest) as LayerDelta);
}

function guard<T>(problems: string[], read: () => T): T | undefined {
  try {
    return read();
  } catch (error) {
    if (!isCipError(error)) throw error;
    problems.push(error.message);
    return undefined;
  }
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
