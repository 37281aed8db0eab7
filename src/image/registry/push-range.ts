/** One PATCH of a chunked upload: bytes [start, end) of the blob. */
export interface UploadChunk {
  start: number;
  /** Exclusive. */
  end: number;
}

/**
 * The chunks a blob of `size` bytes is sent in, `chunkBytes` each (the last one shorter). A positive
 * integer `chunkBytes` is required; an empty blob has no chunks.
 */
export function uploadChunks(size: number, chunkBytes: number): UploadChunk[] {
  if (!Number.isSafeInteger(chunkBytes) || chunkBytes <= 0) {
    throw new RangeError(`chunk size must be a positive integer, not ${chunkBytes}`);
  }
  const chunks: UploadChunk[] = [];
  for (let start = 0; start < size; start += chunkBytes) {
    chunks.push({ start, end: Math.min(size, start + chunkBytes) });
  }
  return chunks;
}

/** The Content-Range of a chunk as the distribution spec writes it: `<first>-<last>`, both inclusive. */
export function contentRange(chunk: UploadChunk): string {
  return `${chunk.start}-${chunk.end - 1}`;
}

/**
 * How many bytes the registry says it holds, from the Range header of a PATCH answer (`0-1023` holds
 * 1024; some registries write `bytes=0-1023`). Undefined when the header is absent or not a range from 0.
 */
export function receivedBytes(range: string | null): number | undefined {
  if (range === null) return undefined;
  const match = /^\s*(?:bytes=)?0-(\d+)\s*$/.exec(range);
  if (match?.[1] === undefined) return undefined;
  return Number(match[1]) + 1;
}
