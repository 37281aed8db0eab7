import { createHash } from "node:crypto";
import { CipError } from "../model/index.js";

/** What a mismatch or an overrun is reported as: the content's name and where it came from. */
export interface VerifiedStreamLabel {
  /** "layer sha256:… of team/app". */
  what: string;
  /** A URL or path. */
  where: string;
  /** The code of a digest mismatch: CIP_REGISTRY for a registry, CIP_IMAGE_INVALID for files. */
  mismatchCode?: "CIP_REGISTRY" | "CIP_IMAGE_INVALID";
}

/**
 * Passes a blob's chunks on while hashing them: past `maxBytes` it fails (CIP_INPUT_TOO_LARGE), and at its
 * end a digest other than `digest` (`<algorithm>:<hex>`) fails it. A consumer that stops early (a layer
 * read up to its tar end marker) makes it read the rest, still bounded, so the digest is always checked:
 * the error then comes from the iterator's `return()`.
 */
export async function* verifiedStream(
  chunks: AsyncIterable<Buffer>,
  digest: string,
  maxBytes: number,
  label: VerifiedStreamLabel,
): AsyncGenerator<Buffer, void, undefined> {
  const colon = digest.indexOf(":");
  const hash = createHash(digest.slice(0, colon));
  const iterator = chunks[Symbol.asyncIterator]();
  let total = 0;
  let done = false;
  const take = (chunk: Buffer): Buffer => {
    total += chunk.length;
    if (total > maxBytes) {
      throw new CipError(
        "CIP_INPUT_TOO_LARGE",
        `Cannot read ${label.what}: it is over the ${maxBytes}-byte limit (${label.where})`,
        { hint: "Raise the layer size limit for an image you trust." },
      );
    }
    hash.update(chunk);
    return chunk;
  };
  try {
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield take(next.value);
    done = true;
  } finally {
    if (!done) {
      // The consumer left early: read on to the end (bounded) so the digest is still checked
      for (let next = await iterator.next(); !next.done; next = await iterator.next()) take(next.value);
    }
    const actual = `${digest.slice(0, colon)}:${hash.digest("hex")}`;
    if (actual !== digest.toLowerCase()) {
      // biome-ignore lint/correctness/noUnsafeFinally: a mismatch must surface even when the consumer left early
      throw new CipError(
        label.mismatchCode ?? "CIP_IMAGE_INVALID",
        `Cannot trust ${label.what}: its digest is ${actual}, expected ${digest} (${label.where})`,
        {
          hint: "The content differs from what its digest names; do not use this image until that is explained.",
        },
      );
    }
  }
}
