import { createHash } from "node:crypto";
import { CipError } from "../../model/index.js";
import type { PushChannel, PushTarget } from "./push-blob.js";
import { pushScope } from "./push-blob.js";
import { digestAlgorithm } from "./read-body.js";
import { registryError } from "./registry-errors.js";

/** Where a manifest is pushed: a repository and a tag or digest. */
export interface ManifestTarget extends PushTarget {
  reference: string;
}

/**
 * PUTs a manifest's exact bytes under a tag or digest with its media type as Content-Type. The digest is
 * sha256 of the bytes (a digest reference must match it, in its algorithm); a Docker-Content-Digest the
 * registry answers must equal it. Manifests over `maxBytes` are refused before anything is sent.
 */
export async function pushManifest(
  channel: PushChannel,
  target: ManifestTarget,
  body: Buffer,
  mediaType: string,
  maxBytes: number,
): Promise<{ digest: string }> {
  const where = `${target.registry}/${target.repository}`;
  const action = `push the manifest ${target.repository}${target.reference.includes(":") ? "@" : ":"}${target.reference} to ${where}`;
  if (body.byteLength > maxBytes) {
    throw new CipError(
      "CIP_INPUT_TOO_LARGE",
      `Cannot ${action}: it is ${body.byteLength} bytes, over the limit of ${maxBytes} (${where})`,
      { hint: "Registries refuse manifests over 4 MiB; make the manifest smaller." },
    );
  }
  if (mediaType.trim() === "") {
    throw new CipError("CIP_USAGE", `Cannot ${action}: no media type was given (${where})`, {
      hint: "Pass the manifest's mediaType, e.g. application/vnd.oci.image.manifest.v1+json.",
    });
  }
  const digest = digestOf(body, "sha256");
  if (target.reference.includes(":")) {
    const algorithm = digestAlgorithm(target.reference, where);
    const actual = digestOf(body, algorithm);
    if (actual !== target.reference.toLowerCase()) {
      throw new CipError(
        "CIP_USAGE",
        `Cannot ${action}: the manifest's digest is ${actual}, not the reference ${target.reference} (${where})`,
        { hint: "Push a manifest by digest only with the digest of its exact bytes." },
      );
    }
  }
  // PUT is idempotent: the transport may resend it after 429, 5xx or a reset
  const { response, url } = await channel.send(
    action,
    `/v2/${target.repository}/manifests/${target.reference}`,
    { method: "PUT", headers: { "content-type": mediaType }, body },
    { scope: pushScope(target.repository) },
  );
  if (!response.ok) throw await channel.failure(response, action, url);
  await response.discard();
  const served = response.headers.get("docker-content-digest");
  if (served?.startsWith("sha256:") && served.toLowerCase() !== digest) {
    throw registryError(
      `Cannot ${action}: the registry answered digest ${served}, not ${digest} (${url})`,
      "The registry stored other bytes than were sent (it may rewrite manifests); do not trust this push.",
    );
  }
  return { digest };
}

function digestOf(bytes: Buffer, algorithm: string): string {
  return `${algorithm}:${createHash(algorithm).update(bytes).digest("hex")}`;
}
