import type { ReadEntry } from "tar";
import { scanTarStream } from "../../image/tar-stream.js";
import { formatBytes } from "../../io/format-bytes.js";
import { CipError, isCipError } from "../../model/index.js";

/** Bounds on reading layers: per layer, and over the whole image (shared by its layers). */
export interface LayerStreamLimits {
  /** Decompressed tar bytes of one layer (CIP_DECOMPRESSION_LIMIT past it). */
  maxLayerBytes: number;
  /** Decompressed tar bytes of every layer together. */
  maxImageBytes: number;
  /** Entries of one layer. */
  maxLayerEntries: number;
  /** Entries of every layer together: the deltas are kept until the squash, one record per entry. */
  maxImageEntries: number;
}

/** What the image's layers have used of the image-wide limits so far; shared by every layer read. */
export interface ImageBudget {
  tarBytes: number;
  entries: number;
}

/** What reading one layer's tar stream saw. */
export interface LayerTarScan {
  gzip: boolean;
  compressedBytes: number;
  tarBytes: number;
  entries: number;
}

/** Handles one entry as it passes; `fail` ends the scan with an error from inside the entry's data events. */
export type LayerEntryHandler = (entry: ReadEntry, fail: (error: unknown) => void) => void;

const ZSTD_MAGIC = [0x28, 0xb5, 0x2f, 0xfd];
const LIMIT_HINT =
  "Raise the limit with --max-decompressed-size BYTES for an image you trust; a layer expanding this much may be a decompression bomb.";

/**
 * Streams one layer (a gzip-compressed or plain tar; zstd is refused) through node-tar once (scanTarStream),
 * handing each entry to `onEntry`, from any byte stream (a blob file, an HTTP body, an entry of an outer tar).
 * An empty layer (only the end-of-archive marker) has no entries. Decompressed bytes are counted against the
 * layer's limit and the image's budget, entries likewise: CIP_DECOMPRESSION_LIMIT.
 */
export async function scanLayerTar(
  source: AsyncIterable<Buffer>,
  where: string,
  limits: LayerStreamLimits,
  budget: ImageBudget,
  onEntry: LayerEntryHandler,
): Promise<LayerTarScan> {
  const iterator = source[Symbol.asyncIterator]();
  const head = await firstBytes(iterator);
  if (ZSTD_MAGIC.every((byte, i) => head.bytes[i] === byte)) {
    await iterator.return?.();
    throw new CipError(
      "CIP_IMAGE_INVALID",
      `Cannot read layer: it is zstd-compressed, which this reader does not decompress (${where})`,
      {
        hint: "Rebuild or convert the image with gzip-compressed layers (skopeo copy --dest-compress-format gzip).",
      },
    );
  }
  const gzip = head.bytes[0] === 0x1f && head.bytes[1] === 0x8b;
  const replay = async function* (): AsyncGenerator<Buffer> {
    if (head.bytes.length > 0) yield head.bytes;
    if (head.done) return;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
  };
  const result = await scanTarStream(
    replay(),
    gzip,
    {
      acceptEmpty: true,
      tar: (counts, chunk) => {
        budget.tarBytes += chunk.length;
        if (counts.tarBytes <= limits.maxLayerBytes && budget.tarBytes <= limits.maxImageBytes)
          return undefined;
        const perLayer = counts.tarBytes > limits.maxLayerBytes;
        const limit = perLayer ? limits.maxLayerBytes : limits.maxImageBytes;
        const from = gzip ? `, expanded from ${counts.compressedBytes} compressed bytes` : "";
        return new CipError(
          "CIP_DECOMPRESSION_LIMIT",
          `Cannot read layer: ${perLayer ? "its" : "the image's"} tar stream is over the ${formatBytes(limit)} decompressed size limit${perLayer ? "" : " for all layers"} (stopped after ${counts.tarBytes} bytes of this layer${from}) (${where})`,
          { hint: LIMIT_HINT },
        );
      },
      entry: (counts) => {
        budget.entries++;
        if (counts.entries <= limits.maxLayerEntries && budget.entries <= limits.maxImageEntries)
          return undefined;
        const perLayer = counts.entries > limits.maxLayerEntries;
        return new CipError(
          "CIP_DECOMPRESSION_LIMIT",
          perLayer
            ? `Cannot read layer: it has more than ${limits.maxLayerEntries} entries, the layer entry limit (stopped after ${counts.tarBytes} bytes of tar) (${where})`
            : `Cannot read layer: the image's layers have more than ${limits.maxImageEntries} entries together, the image entry limit (${where})`,
          { hint: "Raise the entry limit for an image you trust." },
        );
      },
    },
    onEntry,
  );
  let failure = result.failure;
  // The source may still hold bytes after the end marker (padding): release it. A verifying source
  // reads them to check its digest, and its refusal counts
  await iterator.return?.().catch((error: unknown) => {
    if (isCipError(error)) failure ??= error;
  });
  if (failure !== undefined) throw layerError(failure, gzip, where);
  const { compressedBytes, tarBytes, entries } = result.counts;
  return { gzip, compressedBytes, tarBytes, entries };
}

async function firstBytes(iterator: AsyncIterator<Buffer>): Promise<{ bytes: Buffer; done: boolean }> {
  const taken: Buffer[] = [];
  let length = 0;
  while (length < ZSTD_MAGIC.length) {
    const next = await iterator.next();
    if (next.done) return { bytes: Buffer.concat(taken), done: true };
    const chunk = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value);
    taken.push(chunk);
    length += chunk.length;
  }
  return { bytes: Buffer.concat(taken), done: false };
}

function layerError(error: unknown, gzip: boolean, where: string): CipError {
  if (isCipError(error)) return error as CipError;
  const message = error instanceof Error ? error.message : String(error);
  return new CipError(
    "CIP_IMAGE_INVALID",
    `Cannot read layer: it is not a valid ${gzip ? "gzip-compressed " : ""}tar stream: ${message} (${where})`,
    { hint: "The layer blob is damaged or not a tar; pull or save the image again.", cause: error },
  );
}
