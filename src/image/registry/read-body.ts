import { createHash, getHashes } from "node:crypto";
import { CipError } from "../../model/index.js";
import type { HttpResponse } from "./http-request.js";
import { registryError } from "./registry-errors.js";

/** A response body read in full, with its digest computed while streaming. */
export interface ReadBody {
  bytes: Buffer;
  /** `<algorithm>:<hex>` of the bytes, in the algorithm asked for. */
  digest: string;
}

const DIGEST = /^([a-z0-9]+(?:[.+_-][a-z0-9]+)*):([a-zA-Z0-9=_-]+)$/;

/** The hash algorithm of a digest (`sha256:…` → `sha256`), refused when Node cannot compute it. */
export function digestAlgorithm(digest: string, where: string): string {
  const match = DIGEST.exec(digest);
  const algorithm = match?.[1];
  if (algorithm === undefined || !getHashes().includes(algorithm)) {
    throw registryError(
      `Cannot verify content: "${digest}" is not a digest this client can compute (${where})`,
      "Use sha256 (or sha384/sha512) digests.",
    );
  }
  return algorithm;
}

/**
 * Reads a response body, refusing it when Content-Length or the bytes actually read exceed `limit`, and
 * hashes it while reading. `what` names the content in messages ("manifest test/app:1").
 */
export async function readLimitedBody(
  response: HttpResponse,
  limit: number,
  what: string,
  url: string,
  algorithm = "sha256",
): Promise<ReadBody> {
  const declared = response.headers.get("content-length");
  if (declared !== null && Number(declared) > limit) {
    await response.discard();
    throw tooLarge(what, `it declares ${declared} bytes`, limit, url);
  }
  const hash = createHash(algorithm);
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of response.body) {
    total += chunk.byteLength;
    // Leaving the loop closes the body, so the rest is never downloaded
    if (total > limit) throw tooLarge(what, `it sent more than ${limit} bytes`, limit, url);
    hash.update(chunk);
    chunks.push(chunk);
  }
  return { bytes: Buffer.concat(chunks, total), digest: `${algorithm}:${hash.digest("hex")}` };
}

/** Refuses content whose digest differs from the one it was asked for, naming both. */
export function verifyDigest(what: string, expected: string, actual: string, url: string): void {
  if (expected.toLowerCase() !== actual.toLowerCase()) {
    throw registryError(
      `Cannot trust ${what}: its digest is ${actual}, expected ${expected} (${url})`,
      "The registry (or something between) served different content than asked for; do not use this image until that is explained.",
    );
  }
}

function tooLarge(what: string, detail: string, limit: number, url: string): CipError {
  return new CipError(
    "CIP_INPUT_TOO_LARGE",
    `Cannot read ${what}: ${detail}, over the limit of ${limit} (${url})`,
    {
      hint: "Raise the size limit if this content is expected to be that large.",
    },
  );
}
