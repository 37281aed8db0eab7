import type { ImageRef } from "../../model/index.js";
import { verifiedStream } from "../verified-stream.js";
import type { HttpResponse } from "./http-request.js";
import { digestAlgorithm } from "./read-body.js";
import { registryError } from "./registry-errors.js";

/** The client's authenticated, redirect-following blob GET (RegistryClient's fetchBlob). */
export type FetchBlob = (
  ref: ImageRef,
  path: string,
  action: string,
) => Promise<{ response: HttpResponse; url: string }>;

/**
 * Streams one blob of a repository: a GET through the client's transport (auth, redirects to storage),
 * its body handed on chunk by chunk, never held whole, refused past `maxBytes` (Content-Length first,
 * then the bytes read), and its digest checked at the end, even when the consumer stops early.
 */
export async function openBlobStream(
  fetchBlob: FetchBlob,
  ref: ImageRef,
  digest: string,
  maxBytes: number,
): Promise<AsyncIterable<Buffer>> {
  const what = `the blob ${digest} of ${ref.repository}`;
  const path = `/v2/${ref.repository}/blobs/${digest}`;
  digestAlgorithm(digest, `${ref.registry}${path}`);
  const { response, url } = await fetchBlob(ref, path, `fetch ${what}`);
  const declared = response.headers.get("content-length");
  if (declared !== null && Number(declared) > maxBytes) {
    await response.discard();
    throw registryError(
      `Cannot read ${what}: it declares ${declared} bytes, over the limit of ${maxBytes} (${url})`,
      "Raise the layer size limit for an image you trust.",
    );
  }
  return verifiedStream(response.body, digest, maxBytes, { what, where: url, mismatchCode: "CIP_REGISTRY" });
}
