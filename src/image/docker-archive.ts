import { createHash } from "node:crypto";
import { posix, resolve } from "node:path";
import type { ReadEntry } from "tar";
import { formatBytes } from "../io/format-bytes.js";
import { CipError, type ImageRef } from "../model/index.js";
import { type ArchiveLimits, archiveLimits, DEFAULT_MAX_ARCHIVE_JSON_BYTES } from "./archive-limits.js";
import { parseImageReference } from "./image-reference.js";
import { classifyManifest, type ImageManifest, MEDIA_TYPES } from "./manifest.js";
import {
  DEFAULT_MAX_JSON_BYTES,
  type Descriptor,
  indexDescriptors,
  normalizeName,
  parseBlobDigest,
  parseJson,
  refFromFileName,
} from "./oci-layout.js";
import type { LayerDescriptor, ResolvedImage } from "./resolved-image.js";
import { scanTar } from "./tar-scan.js";

/** Options of {@link readDockerArchive}. */
export interface DockerArchiveOptions {
  /** A RepoTag of manifest.json (`name:tag`, compared as references), or `@N` for the N-th image. */
  tag?: string;
  /** Largest JSON entry (manifest.json, index.json, configs, manifests) kept in memory; default 8 MiB. */
  maxEntryBytes?: number;
  /** All JSON entries kept in memory taken together; default 64 MiB. */
  maxJsonBytes?: number;
  /** Bounds on the archive's bytes, decompressed bytes and entries; see {@link archiveLimits} for defaults. */
  limits?: Partial<ArchiveLimits>;
}

const DOCKER_LAYER_TAR = "application/vnd.docker.image.rootfs.diff.tar";
const DOCKER_LAYER_GZIP = "application/vnd.docker.image.rootfs.diff.tar.gzip";
/** Entries that must be JSON and small: over the limit they are refused, not skipped. */
const KNOWN_JSON = new Set(["manifest.json", "index.json", "oci-layout", "repositories"]);
const MAX_LINK_HOPS = 16;

const FORMAT_HINT = "Write it with `docker save IMAGE -o FILE` (optionally gzip-compressed).";

/** What the scan keeps of one tar entry: sizes and digests always, content only for small JSON. */
interface Entry {
  path: string;
  kind: "file" | "link";
  size: number;
  sha256?: string;
  gzip?: boolean;
  content?: Buffer;
  /** For links: the target path inside the archive. */
  target?: string;
}

interface SaveManifestItem {
  Config: string;
  RepoTags: string[] | null;
  Layers: string[];
}

/**
 * Reads one image from a `docker save` tarball (gzip-compressed or not), Docker ≤24 layout
 * (manifest.json, <id>.json configs, <id>/layer.tar) or Docker 25+ (an OCI layout plus manifest.json).
 * The tar is streamed, never extracted: only small JSON entries are kept, and each layer's size and
 * sha256 (for uncompressed ≤24 layers, the diff id). Reading is bounded (`limits`: bytes as read,
 * decompressed bytes, entries) and stops at the end-of-archive marker, so a pipe or device is read too;
 * links leading out of the archive are refused. The image is chosen by tag when there are several.
 * Docker ≤24 archives carry no manifest: a schema 2 manifest of the archived config and layers is made,
 * without a manifest digest. The ref is the chosen RepoTag, else the one of {@link refFromFileName}.
 */
export async function readDockerArchive(
  file: string,
  options: DockerArchiveOptions = {},
): Promise<ResolvedImage> {
  const path = resolve(file);
  const maxBytes = options.maxEntryBytes ?? DEFAULT_MAX_JSON_BYTES;
  const entries = await scanArchive(
    path,
    {
      archive: path,
      maxEntryBytes: maxBytes,
      maxJsonBytes: options.maxJsonBytes ?? DEFAULT_MAX_ARCHIVE_JSON_BYTES,
      keptBytes: 0,
      entries: new Map(),
    },
    archiveLimits(options.limits),
  );
  const items = readSaveManifest(entries, path, maxBytes);
  const { item, index, matchedTag } = selectItem(items, options.tag, path);

  const configEntry = followLinks(entries, item.Config, `manifest.json[${index}].Config`, path);
  const configData = jsonContent(configEntry, "config", path, maxBytes);
  checkNamedDigest(configEntry, path);
  const config = parseJson(configData, `config ${item.Config}`, path);
  if (config === null || typeof config !== "object" || Array.isArray(config)) {
    throw invalid(`Cannot read docker archive: config ${item.Config} is not a JSON object (${path})`);
  }
  const configDigest = `sha256:${configEntry.sha256}`;

  const layers: LayerDescriptor[] = item.Layers.map((layerPath, i) => {
    const entry = followLinks(entries, layerPath, `manifest.json[${index}].Layers[${i}]`, path);
    checkNamedDigest(entry, path);
    return {
      digest: `sha256:${entry.sha256}`,
      size: entry.size,
      mediaType: entry.gzip ? DOCKER_LAYER_GZIP : DOCKER_LAYER_TAR,
    };
  });

  const ref = archiveRef(item, matchedTag, path);
  const oci = findOciManifest(entries, configDigest, path);
  if (oci) {
    return {
      ref,
      source: "docker-archive",
      location: path,
      manifestDigest: oci.digest,
      manifestMediaType: oci.classified.mediaType,
      manifest: oci.manifest,
      config,
      configDigest,
      layers: oci.classified.layers,
    };
  }
  const manifest = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.dockerManifest,
    config: { mediaType: MEDIA_TYPES.dockerConfig, size: configEntry.size, digest: configDigest },
    layers: layers.map((l) => ({ mediaType: l.mediaType, size: l.size, digest: l.digest })),
  };
  return {
    ref,
    source: "docker-archive",
    location: path,
    manifestMediaType: MEDIA_TYPES.dockerManifest,
    manifest,
    config,
    configDigest,
    layers,
  };
}

/** What recording entries needs and keeps: the entries so far, and the JSON bytes held in memory. */
interface Recording {
  archive: string;
  maxEntryBytes: number;
  maxJsonBytes: number;
  keptBytes: number;
  entries: Map<string, Entry>;
}

/** Streams the tar once, recording every entry; refuses unsafe paths and oversized known JSON files. */
async function scanArchive(
  path: string,
  recording: Recording,
  limits: ArchiveLimits,
): Promise<Map<string, Entry>> {
  await scanTar(path, { what: "docker archive", formatHint: FORMAT_HINT }, limits, (entry, fail) =>
    recordEntry(entry, recording, fail),
  );
  return recording.entries;
}

/** The archive-relative path of an entry, refusing absolute paths and `..` components. */
function safeEntryPath(raw: string, archive: string): string {
  if (raw.startsWith("/") || /^[A-Za-z]:/.test(raw) || raw.startsWith("\\")) {
    throw invalid(
      `Cannot read docker archive: entry ${JSON.stringify(raw)} has an absolute path (${archive})`,
      {
        hint: "docker save never writes such entries; the archive may be hostile. Do not use it.",
      },
    );
  }
  const parts = raw.split(/[/\\]/);
  if (parts.includes("..")) {
    throw invalid(
      `Cannot read docker archive: entry ${JSON.stringify(raw)} climbs out with ".." (${archive})`,
      {
        hint: "docker save never writes such entries; the archive may be hostile. Do not use it.",
      },
    );
  }
  return posix.normalize(parts.filter((p) => p !== "" && p !== ".").join("/"));
}

function recordEntry(entry: ReadEntry, recording: Recording, fail: (error: CipError) => void): void {
  const { archive, entries, maxEntryBytes: maxBytes } = recording;
  const path = safeEntryPath(entry.path, archive);
  if (entry.type === "SymbolicLink" || entry.type === "Link") {
    entries.set(path, { path, kind: "link", size: 0, target: linkTarget(entry, path, archive) });
    entry.resume();
    return;
  }
  if (entry.type !== "File" && entry.type !== "OldFile" && entry.type !== "ContiguousFile") {
    entry.resume();
    return;
  }
  const size = entry.size ?? 0;
  const known = KNOWN_JSON.has(path);
  if (known && size > maxBytes) {
    throw new CipError(
      "CIP_INPUT_TOO_LARGE",
      `Cannot read docker archive: ${path} has ${size} bytes, more than the ${maxBytes} allowed (${archive})`,
      { hint: "Raise the entry limit only for an archive you trust." },
    );
  }
  const record: Entry = { path, kind: "file", size };
  entries.set(path, record);
  const hash = createHash("sha256");
  const chunks: Buffer[] = [];
  let first = true;
  let keep = size <= maxBytes;
  entry.on("data", (chunk: Buffer) => {
    if (first) {
      first = false;
      record.gzip = chunk[0] === 0x1f && chunk[1] === 0x8b;
      // Only JSON is kept: known names, and entries starting like a JSON document (configs, manifests).
      const lead = chunk.toString("latin1", 0, Math.min(chunk.length, 64)).trimStart()[0];
      keep = keep && (known || lead === "{" || lead === "[");
      if (keep) {
        recording.keptBytes += size;
        // Each JSON entry is small, but thousands of them would fill memory
        if (recording.keptBytes > recording.maxJsonBytes) {
          keep = false;
          fail(
            new CipError(
              "CIP_INPUT_TOO_LARGE",
              `Cannot read docker archive: its JSON entries add up to more than ${formatBytes(recording.maxJsonBytes)}, the input limit (at ${path}) (${archive})`,
              { hint: "Raise the limit with --max-input-size BYTES for an archive you trust." },
            ),
          );
        }
      }
    }
    hash.update(chunk);
    if (keep) chunks.push(chunk);
  });
  entry.on("end", () => {
    record.sha256 = hash.digest("hex");
    if (keep) record.content = Buffer.concat(chunks);
    if (size === 0) record.content = Buffer.alloc(0);
  });
}

/**
 * Where a link entry points, as an archive path; refuses a target outside the archive. Symlink targets
 * are relative to the link's folder, hard link targets to the archive root; an absolute target is
 * refused either way. Each link is checked on its own, so a chain of links stays inside too.
 */
function linkTarget(entry: ReadEntry, path: string, archive: string): string {
  const link = entry.linkpath ?? "";
  // Backslashes separate as in entry names (safeEntryPath), so `..\x` climbs out as `../x` does
  const slashed = link.replaceAll("\\", "/");
  const absolute = slashed.startsWith("/") || /^[A-Za-z]:/.test(slashed);
  const joined =
    entry.type === "SymbolicLink" && !absolute ? posix.join(posix.dirname(path), slashed) : slashed;
  const target = posix.normalize(joined);
  if (absolute || target === ".." || target.startsWith("../")) {
    throw invalid(
      `Cannot read docker archive: link ${JSON.stringify(entry.path)} points outside the archive, to ${JSON.stringify(link)} (${archive})`,
      { hint: "docker save never writes such links; the archive may be hostile. Do not use it." },
    );
  }
  return target;
}

function readSaveManifest(
  entries: Map<string, Entry>,
  archive: string,
  maxBytes: number,
): SaveManifestItem[] {
  const entry = entries.get("manifest.json");
  if (!entry) {
    const legacy = entries.has("repositories");
    throw invalid(`Cannot read docker archive: it has no manifest.json (${archive})`, {
      hint: legacy
        ? "Only a legacy `repositories` file is there (Docker before 1.10); save the image again with a current `docker save`."
        : "Give a tarball written by `docker save IMAGE -o FILE`.",
    });
  }
  const doc = parseJson(jsonContent(entry, "manifest.json", archive, maxBytes), "manifest.json", archive);
  if (!Array.isArray(doc) || doc.length === 0) {
    throw invalid(
      `Cannot read docker archive: manifest.json is ${doc === null ? "null" : Array.isArray(doc) ? "an empty list" : "not a list"} where a list of images was expected (${archive})`,
      { hint: "Save the image again with `docker save IMAGE -o FILE`." },
    );
  }
  return doc.map((raw, i) => {
    const item = raw as Partial<SaveManifestItem> | null;
    const where = `manifest.json[${i}]`;
    if (item === null || typeof item !== "object" || typeof item.Config !== "string") {
      throw invalid(`Cannot read docker archive: ${where} has no Config path (${archive})`);
    }
    if (!Array.isArray(item.Layers) || !item.Layers.every((l) => typeof l === "string")) {
      throw invalid(`Cannot read docker archive: ${where} has no Layers list of paths (${archive})`);
    }
    const tags = item.RepoTags ?? null;
    if (tags !== null && !(Array.isArray(tags) && tags.every((t) => typeof t === "string"))) {
      throw invalid(`Cannot read docker archive: ${where}.RepoTags is not a list of tags (${archive})`);
    }
    return { Config: item.Config, Layers: item.Layers, RepoTags: tags };
  });
}

function selectItem(
  items: SaveManifestItem[],
  tag: string | undefined,
  archive: string,
): { item: SaveManifestItem; index: number; matchedTag?: string } {
  const listed = items
    .map((item, i) =>
      item.RepoTags && item.RepoTags.length > 0 ? item.RepoTags.join(", ") : `@${i} (untagged)`,
    )
    .join("; ");
  if (tag === undefined) {
    if (items.length === 1) return { item: items[0] as SaveManifestItem, index: 0 };
    throw new CipError(
      "CIP_USAGE",
      `Cannot choose an image in docker archive: it holds ${items.length} images; tags: ${listed} (${archive})`,
      { hint: `Name one, as docker-archive:${archive}:TAG (or :@N for the N-th image).` },
    );
  }
  const position = /^@(\d+)$/.exec(tag);
  if (position) {
    const index = Number(position[1]);
    const item = items[index];
    if (item) return { item, index };
  } else {
    const wanted = normalizeName(tag);
    for (const [index, item] of items.entries()) {
      const matchedTag = (item.RepoTags ?? []).find((t) => t === tag || normalizeName(t) === wanted);
      if (matchedTag !== undefined) return { item, index, matchedTag };
    }
  }
  throw new CipError(
    "CIP_USAGE",
    `Cannot choose an image in docker archive: no image is tagged ${JSON.stringify(tag)}; tags: ${listed} (${archive})`,
    { hint: "Use one of the listed tags, or @N for the N-th image." },
  );
}

function followLinks(entries: Map<string, Entry>, rawPath: string, what: string, archive: string): Entry {
  let path = safeEntryPath(rawPath, archive);
  for (let hop = 0; hop <= MAX_LINK_HOPS; hop++) {
    const entry = entries.get(path);
    if (!entry) {
      throw invalid(
        `Cannot read docker archive: ${what} names ${JSON.stringify(rawPath)}, which is not in the archive (${archive})`,
        {
          hint: "The archive is incomplete; save the image again.",
        },
      );
    }
    if (entry.kind === "file") return entry;
    path = entry.target as string;
  }
  throw invalid(
    `Cannot read docker archive: ${what} goes through more than ${MAX_LINK_HOPS} links (${archive})`,
  );
}

function jsonContent(entry: Entry, what: string, archive: string, maxBytes: number): Buffer {
  if (entry.content) return entry.content;
  if (entry.size > maxBytes) {
    throw new CipError(
      "CIP_INPUT_TOO_LARGE",
      `Cannot read docker archive: ${what} ${entry.path} has ${entry.size} bytes, more than the ${maxBytes} allowed (${archive})`,
      { hint: "Raise the entry limit only for an archive you trust." },
    );
  }
  throw invalid(`Cannot read docker archive: ${what} ${entry.path} is not JSON (${archive})`);
}

/** Checks entries named by their digest (`blobs/sha256/<hex>`, `<hex>.json` image ids) against their content. */
function checkNamedDigest(entry: Entry, archive: string): void {
  const blob = /^blobs\/([^/]+)\/([^/]+)$/.exec(entry.path);
  const id = /^([0-9a-f]{64})\.json$/.exec(entry.path);
  let expected: string | undefined;
  if (blob) {
    const { algorithm, hex } = parseBlobDigest(`${blob[1]}:${blob[2]}`, archive);
    if (algorithm !== "sha256") return;
    expected = hex;
  } else if (id) {
    expected = id[1];
  }
  if (expected !== undefined && expected !== entry.sha256) {
    throw invalid(
      `Cannot read docker archive: entry ${entry.path} hashes to sha256:${entry.sha256}, not the digest its name gives (${archive})`,
      { hint: "The archive is damaged or was altered; save the image again." },
    );
  }
}

/**
 * In a Docker 25+ archive, the OCI manifest (a JSON blob) of the chosen config, if the archive has it,
 * with its classification (media type, layers).
 */
function findOciManifest(
  entries: Map<string, Entry>,
  configDigest: string,
  archive: string,
): { digest: string; manifest: Record<string, unknown>; classified: ImageManifest } | undefined {
  const index = entries.get("index.json")?.content;
  if (!index) return undefined;
  // Prefer manifests index.json points at (directly or through nested indexes), then any blob.
  const queue: Descriptor[] = indexDescriptors(
    parseJson(index, "index.json", archive),
    "index.json",
    archive,
  );
  // The manifests index.json leads to, with the media type their descriptor gives.
  const referenced = new Map<string, string | undefined>();
  for (let guard = 0; queue.length > 0 && guard < 256; guard++) {
    const d = queue.shift() as Descriptor;
    const content = blobEntry(entries, d.digest, archive)?.content;
    if (!content) continue;
    const doc = parseJson(content, `blob ${d.digest}`, archive);
    const classified = classifyManifest(doc, d.mediaType, `${archive}, blob ${d.digest}`, "descriptor");
    if (classified.kind === "index") queue.push(...classified.manifests);
    else referenced.set(d.digest, d.mediaType);
  }
  const candidates = [
    ...referenced.keys(),
    ...[...entries.keys()]
      .filter((p) => /^blobs\/sha256\/[0-9a-f]{64}$/.test(p))
      .map((p) => `sha256:${p.slice(13)}`),
  ];
  for (const digest of candidates) {
    const blob = blobEntry(entries, digest, archive);
    if (!blob?.content || blob.sha256 !== digest.slice(7)) continue;
    let doc: unknown;
    try {
      doc = JSON.parse(blob.content.toString("utf8"));
    } catch {
      continue;
    }
    const config = (doc as { config?: { digest?: unknown } } | null)?.config;
    if (config?.digest !== configDigest) continue;
    const where = `${archive}, blob ${digest}`;
    const classified = classifyManifest(doc, referenced.get(digest), where, "descriptor");
    if (classified.kind === "image") {
      return { digest, manifest: doc as Record<string, unknown>, classified };
    }
  }
  return undefined;
}

function blobEntry(entries: Map<string, Entry>, digest: string, archive: string): Entry | undefined {
  const { algorithm, hex } = parseBlobDigest(digest, archive);
  const entry = entries.get(`blobs/${algorithm}/${hex}`);
  return entry?.kind === "file" ? entry : undefined;
}

function archiveRef(item: SaveManifestItem, matchedTag: string | undefined, archive: string): ImageRef {
  const tag = matchedTag ?? item.RepoTags?.[0];
  if (tag !== undefined) {
    try {
      return parseImageReference(tag);
    } catch {
      // an unparsable RepoTag: fall back to the file name
    }
  }
  return refFromFileName(archive);
}

function invalid(message: string, options: { hint?: string } = {}): CipError {
  return new CipError("CIP_IMAGE_INVALID", message, options);
}
