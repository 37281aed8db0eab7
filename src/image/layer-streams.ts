import { createReadStream } from "node:fs";
import { join, posix, resolve } from "node:path";
import type { ReadEntry } from "tar";
import { CipError, isCipError } from "../model/index.js";
import { type ArchiveLimits, archiveLimits } from "./archive-limits.js";
import { parseBlobDigest } from "./oci-layout.js";
import type { LayerDescriptor } from "./resolved-image.js";
import { scanTarStream } from "./tar-stream.js";
import { verifiedStream } from "./verified-stream.js";

/** One layer to stream: its digest (or, in a docker-archive, its path in the archive) and its bytes. */
export interface LayerStream {
  digest: string;
  /** The layer's bytes as stored (gzip or plain tar), read once. */
  open(): Promise<AsyncIterable<Buffer>>;
}

/**
 * The layers of an image in an OCI layout, in manifest order: each streams its blob file
 * (`blobs/<algorithm>/<hex>`, the digest checked so that it names a file inside blobs/), hashed on the
 * way and refused (CIP_IMAGE_INVALID) when it is not the blob its digest and size name.
 */
export function ociLayoutLayers(dir: string, layers: readonly LayerDescriptor[]): LayerStream[] {
  const root = resolve(dir);
  return layers.map((layer) => {
    const { algorithm, hex } = parseBlobDigest(layer.digest, root);
    const file = join(root, "blobs", algorithm, hex);
    return {
      digest: layer.digest,
      open: async () => {
        const stream = createReadStream(file);
        // Surface a missing blob at open, as a CipError naming it
        await new Promise<void>((done, fail) => {
          stream.once("ready", () => done());
          stream.once("error", (error) =>
            fail(
              new CipError("CIP_FILE_READ", `Cannot read layer ${layer.digest}: ${error.message} (${root})`, {
                cause: error,
              }),
            ),
          );
        });
        // The blob is hashed as it streams and checked against its digest, even when read only partly
        return verifiedStream(stream, layer.digest, layer.size ?? Number.MAX_SAFE_INTEGER, {
          what: `layer ${layer.digest}`,
          where: file,
        });
      },
    };
  });
}

/**
 * Streams one blob of a repository, as a registry serves it (redirects followed, size bounded, digest
 * verified): src/image/registry/blob-stream.ts `openBlobStream` over the client's blob GET.
 */
export interface BlobStreamer {
  streamBlob(digest: string): Promise<AsyncIterable<Buffer>>;
}

/** The layers of a registry image, in manifest order, each a streamed blob GET. */
export function registryLayers(streamer: BlobStreamer, layers: readonly LayerDescriptor[]): LayerStream[] {
  return layers.map((layer) => ({ digest: layer.digest, open: () => streamer.streamBlob(layer.digest) }));
}

/** The layers of a docker-archive as they pass in its tar, and, once they have, their manifest order. */
export interface DockerArchiveLayers {
  /** Every layer tar of the archive, keyed by its path in the archive, in archive order. */
  layers: AsyncIterable<LayerStream>;
  /** The chosen image's layer paths in manifest order; known once `layers` is read to its end. */
  order(): string[];
}

/** Options of {@link dockerArchiveLayers}. */
export interface DockerArchiveLayerOptions {
  /** A RepoTag of manifest.json, or `@N` for the N-th image; the first image by default. */
  tag?: string;
  limits?: Partial<ArchiveLimits>;
  /** Largest manifest.json kept; default 8 MiB. */
  maxManifestBytes?: number;
}

const ZSTD = [0x28, 0xb5, 0x2f, 0xfd];
const HEAD = 512;

/**
 * Streams a `docker save` archive (plain or gzip-compressed) once, handing out each layer tar as its
 * entry passes (`<id>/layer.tar`, skopeo's `<hex>.tar`, a `blobs/<alg>/<hex>` blob: any file but the
 * JSON metadata whose first bytes are a tar, gzip or zstd stream); the consumer must read each layer before asking for the next, as the outer tar moves
 * on only then. manifest.json is kept (bounded) to give the manifest order at the end. Bounded by the
 * archive limits (bytes as read, decompressed bytes, entries); a zstd archive is refused.
 */
export function dockerArchiveLayers(
  file: string,
  options: DockerArchiveLayerOptions = {},
): DockerArchiveLayers {
  const path = resolve(file);
  const limits = archiveLimits(options.limits);
  const maxManifest = options.maxManifestBytes ?? 8 * 1024 * 1024;
  let manifest: Buffer | undefined;
  const links = new Map<string, string>();
  return {
    layers: archiveLayers(path, limits, maxManifest, links, (bytes) => {
      manifest = bytes;
    }),
    order: () => manifestOrder(manifest, options.tag, path).map((layer) => followLinks(links, layer, path)),
  };
}

type Event = { entry: ReadEntry } | { done: true } | { error: unknown };

async function* archiveLayers(
  path: string,
  limits: ArchiveLimits,
  maxManifest: number,
  links: Map<string, string>,
  onManifest: (bytes: Buffer) => void,
): AsyncGenerator<LayerStream> {
  const source = createReadStream(path);
  const queue: Event[] = [];
  let wake: (() => void) | undefined;
  const push = (event: Event) => {
    queue.push(event);
    wake?.();
  };
  // Layers and manifest.json are handed to the consumer below as they pass; everything else is skipped
  const onEntry = (entry: ReadEntry) => {
    const name = posix.normalize(entry.path).replace(/^\.\//, "");
    // Docker ≤24 links a layer shared by two images (`<id>/layer.tar -> ../<other>/layer.tar`)
    if ((entry.type === "SymbolicLink" || entry.type === "Link") && links.size < limits.maxEntries) {
      const target = entry.linkpath ?? "";
      const base = entry.type === "SymbolicLink" ? posix.dirname(name) : ".";
      links.set(name, posix.normalize(posix.join(base, target)).replace(/^\.\//, ""));
    }
    const candidate = entry.type === "File" || entry.type === "OldFile" || entry.type === "ContiguousFile";
    if (candidate && (name === "manifest.json" || isLayerCandidate(name))) push({ entry });
    else entry.resume();
  };
  const archiveTooLarge = () =>
    archiveError("CIP_INPUT_TOO_LARGE", `it is over the ${limits.maxArchiveBytes}-byte archive limit`, path);
  const stopped = new AbortController();
  const feeding = (async () => {
    try {
      const head = await peekHead(source);
      if (ZSTD.every((b, i) => head[i] === b)) {
        throw archiveError(
          "CIP_IMAGE_INVALID",
          "it is zstd-compressed, which this reader does not decompress",
          path,
        );
      }
      const gzip = head[0] === 0x1f && head[1] === 0x8b;
      const { failure } = await scanTarStream(
        source,
        gzip,
        {
          compressed: (c) => (c.compressedBytes > limits.maxArchiveBytes ? archiveTooLarge() : undefined),
          tar: (c) => {
            if (c.compressedBytes > limits.maxArchiveBytes) return archiveTooLarge();
            if (c.tarBytes <= limits.maxDecompressedBytes) return undefined;
            return archiveError(
              "CIP_DECOMPRESSION_LIMIT",
              `its tar stream is over the ${limits.maxDecompressedBytes}-byte decompressed size limit`,
              path,
            );
          },
          entry: (c) =>
            c.entries > limits.maxEntries
              ? archiveError("CIP_DECOMPRESSION_LIMIT", `it has more than ${limits.maxEntries} entries`, path)
              : undefined,
        },
        onEntry,
        stopped.signal,
      );
      push(failure === undefined ? { done: true } : { error: failure });
    } catch (error) {
      push({ error });
    }
  })();
  try {
    for (;;) {
      const event = queue.shift();
      if (event === undefined) {
        await new Promise<void>((done) => {
          wake = done;
        });
        wake = undefined;
        continue;
      }
      if ("done" in event) break;
      if ("error" in event) throw wrapError(event.error, path);
      const entry = event.entry;
      const name = posix.normalize(entry.path).replace(/^\.\//, "");
      const chunks = entryChunks(entry);
      if (name === "manifest.json") {
        onManifest(await collect(chunks, maxManifest, path));
        continue;
      }
      const head = await takeHead(chunks);
      if (!looksLikeLayer(head.bytes)) {
        await chunks.return(undefined);
        continue;
      }
      let opened = false;
      yield {
        digest: name,
        open: async () => {
          opened = true;
          return replay(head.bytes, head.done ? undefined : chunks);
        },
      };
      // A layer the consumer skipped, or left before its end, is drained so the archive moves on
      if (!opened) await chunks.return(undefined);
    }
  } finally {
    // A consumer that stops early leaves the parser waiting on an entry: abort it so feeding ends
    stopped.abort(new Error("the reading of layers stopped"));
    source.destroy();
    await feeding;
  }
}

/** Any file but the metadata docker and skopeo write beside layers; the first bytes then decide. */
function isLayerCandidate(name: string): boolean {
  return !/(^|\/)(json|VERSION|repositories|oci-layout)$|\.json$/.test(name);
}

/** A tar (ustar magic at 257, or a first header with a valid-looking name), gzip or zstd stream. */
function looksLikeLayer(head: Buffer): boolean {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return true;
  if (ZSTD.every((b, i) => head[i] === b)) return true;
  if (head.length >= 262 && head.toString("latin1", 257, 262) === "ustar") return true;
  // An empty layer is two zero blocks (or nothing)
  return head.length === 0 || head.every((b) => b === 0);
}

/** An entry's bytes one chunk at a time, pulled: the outer tar waits while the consumer is busy. */
async function* entryChunks(entry: ReadEntry): AsyncGenerator<Buffer, void, undefined> {
  const chunks: Buffer[] = [];
  let ended = false;
  let wake: (() => void) | undefined;
  entry.on("data", (chunk: Buffer) => {
    chunks.push(chunk);
    entry.pause();
    wake?.();
  });
  entry.on("end", () => {
    ended = true;
    wake?.();
  });
  try {
    for (;;) {
      const chunk = chunks.shift();
      if (chunk !== undefined) {
        if (chunks.length === 0) entry.resume();
        yield chunk;
        continue;
      }
      if (ended) return;
      entry.resume();
      await new Promise<void>((done) => {
        wake = done;
      });
      wake = undefined;
    }
  } finally {
    // Whatever is left is skipped: with no listener, a flowing entry drops its data
    entry.removeAllListeners("data");
    entry.resume();
  }
}

async function takeHead(chunks: AsyncGenerator<Buffer>): Promise<{ bytes: Buffer; done: boolean }> {
  const taken: Buffer[] = [];
  let length = 0;
  while (length < HEAD) {
    const next = await chunks.next();
    if (next.done) return { bytes: Buffer.concat(taken), done: true };
    taken.push(next.value);
    length += next.value.length;
  }
  return { bytes: Buffer.concat(taken), done: false };
}

async function* replay(head: Buffer, rest: AsyncGenerator<Buffer> | undefined): AsyncGenerator<Buffer> {
  try {
    if (head.length > 0) yield head;
    if (rest !== undefined) yield* rest;
  } finally {
    await rest?.return(undefined);
  }
}

async function collect(chunks: AsyncGenerator<Buffer>, max: number, path: string): Promise<Buffer> {
  const taken: Buffer[] = [];
  let length = 0;
  for await (const chunk of chunks) {
    length += chunk.length;
    if (length > max) {
      throw archiveError("CIP_INPUT_TOO_LARGE", `its manifest.json is over the ${max}-byte limit`, path);
    }
    taken.push(chunk);
  }
  return Buffer.concat(taken);
}

async function peekHead(stream: NodeJS.ReadableStream & { unshift(chunk: Buffer): void }): Promise<Buffer> {
  const taken: Buffer[] = [];
  let length = 0;
  let ended = false;
  stream.once("end", () => {
    ended = true;
  });
  while (length < 4 && !ended) {
    const chunk = stream.read() as Buffer | null;
    if (chunk !== null) {
      taken.push(chunk);
      length += chunk.length;
      continue;
    }
    await new Promise<void>((done, failed) => {
      const finish = (error?: unknown) => {
        stream.off("readable", finish);
        stream.off("end", finish);
        stream.off("error", finish);
        if (error instanceof Error) failed(error);
        else done();
      };
      stream.on("readable", finish);
      stream.on("end", finish);
      stream.on("error", finish);
    });
  }
  const head = Buffer.concat(taken, length);
  if (length > 0) stream.unshift(head);
  return head;
}

/** The chosen image's `Layers` of manifest.json, as archive paths. */
function manifestOrder(manifest: Buffer | undefined, tag: string | undefined, path: string): string[] {
  if (manifest === undefined) {
    throw archiveError("CIP_IMAGE_INVALID", "it has no manifest.json (not a docker save archive)", path);
  }
  let items: unknown;
  try {
    items = JSON.parse(manifest.toString("utf8"));
  } catch {
    throw archiveError("CIP_IMAGE_INVALID", "its manifest.json is not JSON", path);
  }
  if (!Array.isArray(items) || items.length === 0) {
    throw archiveError("CIP_IMAGE_INVALID", "its manifest.json lists no image", path);
  }
  let item: unknown = items[0];
  if (tag?.startsWith("@")) item = items[Number(tag.slice(1))];
  else if (tag !== undefined) {
    item = items.find(
      (i) =>
        Array.isArray((i as { RepoTags?: unknown }).RepoTags) &&
        (i as { RepoTags: unknown[] }).RepoTags.includes(tag),
    );
  }
  const layers = (item as { Layers?: unknown } | undefined)?.Layers;
  if (!Array.isArray(layers) || !layers.every((l) => typeof l === "string")) {
    throw archiveError(
      "CIP_IMAGE_INVALID",
      `manifest.json has no Layers list for ${tag ?? "its first image"}`,
      path,
    );
  }
  return layers.map((l: string) => posix.normalize(l).replace(/^\.\//, ""));
}

/** The file a layer path names once archive links are followed (at most 16 hops; a loop is refused). */
function followLinks(links: ReadonlyMap<string, string>, layer: string, path: string): string {
  let current = layer;
  for (let hop = 0; hop <= 16; hop++) {
    const next = links.get(current);
    if (next === undefined) return current;
    current = next;
  }
  throw archiveError(
    "CIP_IMAGE_INVALID",
    `the links from layer ${layer} loop or chain more than 16 deep`,
    path,
  );
}

function archiveError(
  code: "CIP_IMAGE_INVALID" | "CIP_DECOMPRESSION_LIMIT" | "CIP_INPUT_TOO_LARGE",
  what: string,
  path: string,
): CipError {
  return new CipError(code, `Cannot read docker archive: ${what} (${path})`, {
    hint:
      code === "CIP_IMAGE_INVALID"
        ? "Write it with `docker save IMAGE -o FILE` (optionally gzip-compressed)."
        : "Raise the archive limits for an archive you trust; one expanding this much may be a decompression bomb.",
  });
}

function wrapError(error: unknown, path: string): CipError {
  if (isCipError(error)) return error;
  return archiveError("CIP_IMAGE_INVALID", `it is not a valid tar: ${(error as Error).message}`, path);
}
