/** Bounds on reading one archive: its bytes as read, its tar stream once decompressed, its entries. */
export interface ArchiveLimits {
  /** Bytes of the archive file as read, compressed or not (`--max-archive-size`). */
  maxArchiveBytes: number;
  /** Bytes of the tar stream after gzip decompression, or of the plain tar (`--max-decompressed-size`). */
  maxDecompressedBytes: number;
  /** Tar entries: files, links and directories, not the pax headers describing them (`--max-archive-entries`). */
  maxEntries: number;
}

const GiB = 1024 ** 3;

/**
 * Default bound on an archive's decompressed tar stream: the larger of 16 × the document limit and
 * 16 GiB. A `docker save` of a large image (CUDA and ML stacks) is 10–15 GB uncompressed and must pass;
 * reading is streamed and linear (hashing runs at about 1 GB/s), so the bound caps time and disk reads,
 * not memory, and 16 GiB ends a gzip bomb or an endless device in seconds, not hours.
 */
export function defaultMaxDecompressedBytes(maxInputBytes: number): number {
  return Math.max(16 * maxInputBytes, 16 * GiB);
}

/**
 * Default bound on an archive's own bytes: the same as its decompressed bound, since a plain tar is its
 * own tar stream and a gzip-compressed one is smaller than what it expands to.
 */
export function defaultMaxArchiveBytes(maxInputBytes: number): number {
  return defaultMaxDecompressedBytes(maxInputBytes);
}

/** Default bound on tar entries: `docker save` writes a few per layer, so 100 000 is far beyond real use. */
export const DEFAULT_MAX_ARCHIVE_ENTRIES = 100_000;

/** Default bound on an archive's JSON entries taken together (each is kept in memory until parsed). */
export const DEFAULT_MAX_ARCHIVE_JSON_BYTES = 64 * 1024 * 1024;

/** The limits with every missing one at its default, derived from the document limit when given. */
export function archiveLimits(given: Partial<ArchiveLimits> = {}, maxInputBytes = 0): ArchiveLimits {
  return {
    maxArchiveBytes: given.maxArchiveBytes ?? defaultMaxArchiveBytes(maxInputBytes),
    maxDecompressedBytes: given.maxDecompressedBytes ?? defaultMaxDecompressedBytes(maxInputBytes),
    maxEntries: given.maxEntries ?? DEFAULT_MAX_ARCHIVE_ENTRIES,
  };
}
