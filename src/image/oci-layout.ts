import { createHash } from "node:crypto";
import { realpath, stat } from "node:fs/promises";
import { basename, join, relative, resolve, sep } from "node:path";
import { readBounded } from "../io/bounded-read.js";
import { CipError, type ImageRef, type Platform } from "../model/index.js";
import { formatImageReference, parseImageReference } from "./image-reference.js";
import { type ClassifiedManifest, classifyManifest, type ImageManifest } from "./manifest.js";
import { defaultPlatform, selectPlatform } from "./platform.js";
import type { ResolvedImage } from "./resolved-image.js";

/** Annotation naming a manifest in an OCI layout's index.json (OCI image spec, annotations). */
export const REF_NAME_ANNOTATION = "org.opencontainers.image.ref.name";
/** Annotation containerd and Docker 25+ put the full image name in. */
export const CONTAINERD_NAME_ANNOTATION = "io.containerd.image.name";
/** Default cap on a manifest, index or config blob: they are small JSON documents. */
export const DEFAULT_MAX_JSON_BYTES = 8 * 1024 * 1024;
/** Indexes nested deeper than this are refused (a loop or a hostile layout). */
const MAX_INDEX_DEPTH = 8;

/** A content descriptor (OCI image spec, descriptor.md), as far as this reader uses it. */
export interface Descriptor {
  mediaType?: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  platform?: Platform;
}

/** Options of {@link readOciLayout}. */
export interface OciLayoutOptions {
  /** The `org.opencontainers.image.ref.name` to pick (or a full name matching `io.containerd.image.name`). */
  tag?: string;
  /** Platform to choose from an index; see selectPlatform for the default. */
  platform?: Platform;
  /** Largest manifest, index or config blob read (default 8 MiB). */
  maxJsonBytes?: number;
}

/**
 * Reads one single-platform image from an OCI image layout directory: checks `oci-layout`, picks the
 * manifest of index.json by its ref.name annotation (or the only one), follows nested indexes choosing
 * the platform, and reads the manifest and config blobs, verifying each against its digest and size.
 */
export async function readOciLayout(dir: string, options: OciLayoutOptions = {}): Promise<ResolvedImage> {
  const root = resolve(dir);
  const maxBytes = options.maxJsonBytes ?? DEFAULT_MAX_JSON_BYTES;
  await checkLayoutFile(root);
  const index = parseJson(
    await readSmallFile(join(root, "index.json"), maxBytes, "the layout's index.json", root),
    `index.json`,
    root,
  );
  const top = indexDescriptors(index, "index.json", root);
  const picked = pickTagged(top, options.tag, root, options.platform);
  let descriptor = picked;
  let indexDigest: string | undefined;
  for (let depth = 0; ; depth++) {
    if (depth > MAX_INDEX_DEPTH) {
      throw invalid(`Cannot read OCI layout: indexes are nested more than ${MAX_INDEX_DEPTH} deep (${root})`);
    }
    const blob = await readBlob(root, descriptor, maxBytes, "manifest");
    const doc = parseJson(blob, `blob ${descriptor.digest}`, root);
    const where = `${root}, blob ${descriptor.digest}`;
    const classified = classifyManifest(doc, descriptor.mediaType, where, "descriptor");
    if (classified.kind === "index") {
      // The outermost index is the one the tag names, as the registry client records it
      indexDigest ??= descriptor.digest;
      descriptor = choosePlatform(
        classified.manifests,
        options.platform,
        `index ${descriptor.digest} in ${root}`,
      );
      continue;
    }
    const manifest = imageOnly(classified, where);
    const config = parseJson(
      await readBlob(root, manifest.config, maxBytes, "config"),
      `config ${manifest.config.digest}`,
      root,
    );
    if (config === null || typeof config !== "object" || Array.isArray(config)) {
      throw invalid(
        `Cannot read OCI layout: config ${manifest.config.digest} is not a JSON object (${root})`,
      );
    }
    const result: ResolvedImage = {
      ref: layoutRef(root, picked, options.tag),
      source: "oci-layout",
      location: root,
      manifestDigest: descriptor.digest,
      manifestMediaType: manifest.mediaType,
      manifest: doc,
      config,
      configDigest: manifest.config.digest,
      layers: manifest.layers,
    };
    if (indexDigest !== undefined) result.indexDigest = indexDigest;
    return result;
  }
}

async function checkLayoutFile(root: string): Promise<void> {
  const text = await readSmallFile(join(root, "oci-layout"), 64 * 1024, "the oci-layout file", root).catch(
    (error: unknown) => {
      // A missing or unreadable file (an errno behind it) means this is no layout; a device is said as such
      if (error instanceof CipError && error.code === "CIP_FILE_READ" && error.cause !== undefined) {
        throw new CipError(
          "CIP_FILE_READ",
          `Cannot read OCI layout: ${root} has no readable oci-layout file (${root})`,
          {
            hint: "Point at the directory holding oci-layout, index.json and blobs/ (as `skopeo copy … oci:DIR` writes it).",
            cause: error,
          },
        );
      }
      throw error;
    },
  );
  const layout = parseJson(text, "oci-layout", root) as { imageLayoutVersion?: unknown } | null;
  const version = layout?.imageLayoutVersion;
  if (typeof version !== "string") {
    throw invalid(`Cannot read OCI layout: oci-layout has no imageLayoutVersion string (${root})`);
  }
  if (!/^1\.\d+\.\d+$/.test(version)) {
    throw invalid(
      `Cannot read OCI layout: imageLayoutVersion ${JSON.stringify(version)} is not 1.x (${root})`,
      {
        hint: "This reader knows OCI image layout version 1.",
      },
    );
  }
}

/** The manifests of an index document (null lists are read as empty, as Docker 25 writes them). */
export function indexDescriptors(doc: unknown, what: string, where: string): Descriptor[] {
  if (doc === null || typeof doc !== "object" || Array.isArray(doc)) {
    throw invalid(`Cannot read image index: ${what} is not a JSON object (${where})`);
  }
  const manifests = (doc as { manifests?: unknown }).manifests;
  if (manifests === null || manifests === undefined) return [];
  if (!Array.isArray(manifests)) {
    throw invalid(`Cannot read image index: "manifests" of ${what} is not a list (${where})`);
  }
  return manifests.map((m, i) => toDescriptor(m, `manifests[${i}] of ${what}`, where));
}

/** Checks a descriptor's shape (digest string, non-negative integer size). */
export function toDescriptor(value: unknown, what: string, where: string): Descriptor {
  const d = value as Partial<Descriptor> | null;
  if (d === null || typeof d !== "object" || Array.isArray(d)) {
    throw invalid(`Cannot read descriptor: ${what} is not a JSON object (${where})`);
  }
  if (typeof d.digest !== "string") throw invalid(`Cannot read descriptor: ${what} has no digest (${where})`);
  if (typeof d.size !== "number" || !Number.isSafeInteger(d.size) || d.size < 0) {
    throw invalid(`Cannot read descriptor: ${what} has no valid size (${where})`);
  }
  const out: Descriptor = { digest: d.digest, size: d.size };
  if (typeof d.mediaType === "string") out.mediaType = d.mediaType;
  if (d.annotations && typeof d.annotations === "object") out.annotations = d.annotations;
  const p = d.platform;
  if (p && typeof p === "object" && typeof p.os === "string" && typeof p.architecture === "string") {
    out.platform = { os: p.os, architecture: p.architecture };
    if (typeof p.variant === "string") out.platform.variant = p.variant;
  }
  return out;
}

/**
 * The image manifest a layout or archive names, refusing what CIPolicE cannot read from a file: Docker
 * schema 1 manifests (registries only serve them) and OCI artifacts (they hold no image).
 */
function imageOnly(classified: Exclude<ClassifiedManifest, { kind: "index" }>, where: string): ImageManifest {
  if (classified.kind === "schema1") {
    throw invalid(`Cannot read the image manifest: it is a Docker schema 1 manifest (${where})`, {
      hint: "Convert the image to a schema 2 or OCI manifest (e.g. with skopeo copy).",
    });
  }
  if (classified.kind === "artifact") {
    throw invalid(
      `Cannot read the image manifest: it is an artifact of type ${classified.artifactType}, not an image (${where})`,
      { hint: "Name an image of the layout; artifacts (signatures, SBOMs, charts) hold no image to check." },
    );
  }
  return classified;
}

function refNames(d: Descriptor): string[] {
  const names: string[] = [];
  const refName = d.annotations?.[REF_NAME_ANNOTATION];
  const full = d.annotations?.[CONTAINERD_NAME_ANNOTATION];
  if (typeof refName === "string") names.push(refName);
  if (typeof full === "string") names.push(full);
  return names;
}

/** Canonical form of a reference for comparing, or the text itself when it is not one. */
export function normalizeName(text: string): string {
  try {
    return formatImageReference(parseImageReference(text));
  } catch {
    return text;
  }
}

function pickTagged(
  descriptors: Descriptor[],
  tag: string | undefined,
  root: string,
  platform: Platform | undefined,
): Descriptor {
  const listed = () => {
    const tags = [...new Set(descriptors.flatMap((d) => refNames(d).slice(0, 1)))];
    return tags.length > 0 ? tags.map((t) => JSON.stringify(t)).join(", ") : "none";
  };
  if (descriptors.length === 0) {
    throw invalid(`Cannot read OCI layout: index.json lists no images (${root})`);
  }
  if (tag === undefined) {
    if (descriptors.length === 1) return descriptors[0] as Descriptor;
    // Untagged entries all carrying a platform are one multi-platform image.
    if (descriptors.every((d) => refNames(d).length === 0 && d.platform !== undefined)) {
      return choosePlatform(descriptors, platform, `index.json of ${root}`);
    }
    throw new CipError(
      "CIP_USAGE",
      `Cannot choose an image in OCI layout: index.json lists ${descriptors.length} images; tags: ${listed()} (${root})`,
      { hint: `Name one, as oci:${root}:TAG.` },
    );
  }
  const wanted = normalizeName(tag);
  const matches = descriptors.filter((d) =>
    refNames(d).some((name) => name === tag || normalizeName(name) === wanted),
  );
  if (matches.length === 0) {
    throw new CipError(
      "CIP_USAGE",
      `Cannot choose an image in OCI layout: no manifest is tagged ${JSON.stringify(tag)}; tags: ${listed()} (${root})`,
      {
        hint: "Use one of the listed tags (the org.opencontainers.image.ref.name annotations of index.json).",
      },
    );
  }
  if (matches.length === 1) return matches[0] as Descriptor;
  // The same ref.name on several platforms' manifests.
  return choosePlatform(matches, platform, `index.json of ${root}, tag ${JSON.stringify(tag)}`);
}

/** Chooses one manifest of an index for a platform (default: this machine's), naming the place in errors. */
function choosePlatform(
  descriptors: Descriptor[],
  platform: Platform | undefined,
  where: string,
): Descriptor {
  if (descriptors.length === 0)
    throw invalid(`Cannot choose a platform: the index lists no manifests (${where})`);
  const manifests = descriptors.map((d) => ({ ...d, mediaType: d.mediaType ?? "" }));
  const chosen = selectPlatform({ manifests }, platform ?? defaultPlatform(), where);
  // selectPlatform returns one of the entries it was given.
  return descriptors[manifests.indexOf(chosen)] as Descriptor;
}

function layoutRef(root: string, picked: Descriptor, tag: string | undefined): ImageRef {
  // The full name (containerd's annotation) before the bare ref.name.
  const names = [tag, ...refNames(picked).reverse()];
  for (const name of names) {
    if (name === undefined) continue;
    // A ref.name is a tag or a full reference (OCI image spec, annotations); try the full one first.
    if (/[/:@]/.test(name)) {
      try {
        return parseImageReference(name);
      } catch {
        // not a reference: try the next name
      }
    } else {
      const ref = refFromFileName(root);
      try {
        return parseImageReference(`${ref.registry}/${ref.repository}:${name}`);
      } catch {
        // not a valid tag: try the next name
      }
    }
  }
  return { ...refFromFileName(root), digest: picked.digest };
}

/**
 * The reference of an image known only by its file or directory: `localhost/<name>`, with `<name>` the
 * base name lower-cased, without `.tar`, `.tar.gz`, `.tgz` or `.oci`, and other characters than letters
 * and digits turned into `-` (`My_Image.tar` → `localhost/my-image`). It has neither tag nor digest.
 */
export function refFromFileName(path: string): ImageRef {
  const name = basename(resolve(path))
    .replace(/\.(tar\.gz|tgz|tar|oci)$/i, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 200);
  return { registry: "localhost", repository: name === "" ? "image" : name };
}

const DIGEST = /^([a-z0-9]+(?:[+._-][a-z0-9]+)*):([a-zA-Z0-9=_-]+)$/;
const HASH_LENGTHS: Readonly<Record<string, number>> = { sha256: 64, sha512: 128 };

/**
 * Splits a digest into algorithm and hex after checking it can name a file under blobs/: a registered
 * algorithm (sha256, sha512) and lower-case hex of its length, so no digest can escape the directory.
 */
export function parseBlobDigest(digest: string, where: string): { algorithm: string; hex: string } {
  const m = DIGEST.exec(digest);
  if (!m) {
    const escapes = /[/\\]|\.\./.test(digest);
    throw invalid(
      `Cannot read blob: digest ${JSON.stringify(digest)} ${escapes ? "would escape the blobs directory" : "is not a valid digest"} (${where})`,
      { hint: "A digest reads <algorithm>:<hex>, such as sha256:<64 lower-case hex digits>." },
    );
  }
  const algorithm = m[1] as string;
  const hex = m[2] as string;
  const length = HASH_LENGTHS[algorithm];
  if (length === undefined) {
    throw invalid(
      `Cannot read blob: digest algorithm ${JSON.stringify(algorithm)} is not supported (${where})`,
      {
        hint: "Supported digest algorithms: sha256, sha512.",
      },
    );
  }
  if (!/^[0-9a-f]+$/.test(hex) || hex.length !== length) {
    throw invalid(
      `Cannot read blob: digest ${JSON.stringify(digest)} is not ${length} lower-case hex digits (${where})`,
    );
  }
  return { algorithm, hex };
}

/** Reads blobs/<alg>/<hex> of a layout, refusing a size over maxBytes and any size or digest mismatch. */
async function readBlob(root: string, d: Descriptor, maxBytes: number, what: string): Promise<Buffer> {
  const { algorithm, hex } = parseBlobDigest(d.digest, root);
  if (d.size > maxBytes) {
    throw new CipError(
      "CIP_INPUT_TOO_LARGE",
      `Cannot read ${what} blob ${d.digest}: its descriptor says ${d.size} bytes, more than the ${maxBytes} allowed (${root})`,
      { hint: "A manifest or config is a small JSON document; raise the limit only for a layout you trust." },
    );
  }
  const blobs = join(root, "blobs");
  const path = join(blobs, algorithm, hex);
  let real: string;
  let realBlobs: string;
  try {
    real = await realpath(path);
    realBlobs = await realpath(blobs);
  } catch (error) {
    throw new CipError(
      "CIP_FILE_READ",
      `Cannot read ${what} blob ${d.digest}: ${path} is missing (${root})`,
      {
        hint: "The layout is incomplete; copy it again (e.g. with skopeo copy).",
        cause: error,
      },
    );
  }
  // A symlink inside blobs/ must not lead out of it.
  const inside = relative(realBlobs, real);
  if (inside.startsWith(`..${sep}`) || inside === ".." || resolve(realBlobs, inside) !== real) {
    throw invalid(`Cannot read ${what} blob ${d.digest}: it links outside the blobs directory (${path})`);
  }
  const info = await stat(real);
  if (info.isFile() && info.size !== d.size) throw sizeMismatch(what, d, info.size, path);
  const data = await readSmallFile(real, maxBytes, `${what} blob ${d.digest}`, root);
  // Checked again on what was read: the file may have changed since stat
  if (data.length !== d.size) throw sizeMismatch(what, d, data.length, path);
  const actual = createHash(algorithm).update(data).digest("hex");
  if (actual !== hex) {
    throw invalid(
      `Cannot read ${what} blob ${d.digest}: its content hashes to ${algorithm}:${actual} (${path})`,
      { hint: "The blob is damaged or was altered; copy the image again from a trusted source." },
    );
  }
  return data;
}

function sizeMismatch(what: string, d: Descriptor, size: number, path: string): CipError {
  return invalid(
    `Cannot read ${what} blob ${d.digest}: it has ${size} bytes where its descriptor says ${d.size} (${path})`,
    { hint: "The blob is damaged or the descriptor is wrong; copy the image again." },
  );
}

/**
 * Reads a file of the layout, at most `maxBytes` whatever stat says, refusing devices, pipes and
 * sockets: a layout holds regular files, and `index.json -> /dev/zero` would otherwise never end.
 */
async function readSmallFile(path: string, maxBytes: number, what: string, root: string): Promise<Buffer> {
  return readBounded(path, {
    maxBytes,
    what,
    where: path,
    limitName: "image JSON",
    limitHint:
      "Manifests, indexes and configs are small JSON documents; raise --max-input-size only for a layout you trust.",
    regularOnly: true,
    missingHint: `Point at an OCI image layout directory (oci-layout, index.json, blobs/); ${root} is incomplete.`,
  });
}

/** Parses JSON text, throwing CIP_PARSE naming the document. */
export function parseJson(data: Buffer | string, what: string, where: string): unknown {
  try {
    return JSON.parse(typeof data === "string" ? data : data.toString("utf8"));
  } catch (error) {
    throw new CipError("CIP_PARSE", `Cannot parse ${what}: it is not valid JSON (${where})`, {
      hint: "The image source is damaged; write it again.",
      cause: error,
    });
  }
}

function invalid(message: string, options: { hint?: string } = {}): CipError {
  return new CipError("CIP_IMAGE_INVALID", message, options);
}
