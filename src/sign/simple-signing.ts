import { clip, isJsonObject, parseJsonObjectBytes } from "./encoding.js";
import { signError } from "./sign-error.js";

/** `critical.type` of every cosign signature payload. */
export const SIMPLE_SIGNING_TYPE = "cosign container image signature";

/** Media type of a `.sig` layer holding a simple-signing payload. */
export const SIMPLE_SIGNING_MEDIA_TYPE = "application/vnd.dev.cosign.simplesigning.v1+json";

/** Largest payload read: real ones are a few hundred bytes, annotations included. */
export const MAX_SIMPLE_SIGNING_BYTES = 256 * 1024;

/** A manifest digest as simple signing names it: `algorithm:hex`. */
const MANIFEST_DIGEST = /^(?:sha256:[0-9a-f]{64}|sha384:[0-9a-f]{96}|sha512:[0-9a-f]{128})$/;

/** What a signature says of the image it signs. */
export interface SimpleSigningInput {
  /** The image name the signer meant: cosign writes the repository (`index.docker.io/library/nginx`). */
  dockerReference: string;
  /** The signed image manifest's digest (`sha256:<hex>`). */
  manifestDigest: string;
  /** Goes to `optional` (cosign's `-a key=value`): decision id, bundle digest… */
  annotations?: Record<string, string>;
}

/** A parsed simple-signing payload. */
export interface SimpleSigningPayload {
  dockerReference: string;
  manifestDigest: string;
  /** Always {@link SIMPLE_SIGNING_TYPE}: anything else is refused. */
  type: string;
  /** The `optional` object (empty when it is null or absent); c/image writes `creator` and `timestamp`. */
  annotations: Record<string, unknown>;
}

/**
 * The exact bytes cosign signs for an image: compact JSON `{"critical":{"identity":{"docker-reference":…},
 * "image":{"docker-manifest-digest":…},"type":"cosign container image signature"},"optional":…}`, with
 * `optional` null when there are no annotations and its keys sorted (as Go writes a map).
 */
export function simpleSigningPayload(input: SimpleSigningInput): Buffer {
  const reference = input.dockerReference;
  if (reference.length === 0 || /[\s\p{Cc}]/u.test(reference)) {
    throw signError(
      `Cannot build a signature payload: docker-reference ${JSON.stringify(clip(reference))} is empty or has spaces or control characters`,
    );
  }
  if (!MANIFEST_DIGEST.test(input.manifestDigest)) {
    throw signError(
      `Cannot build a signature payload: manifest digest ${JSON.stringify(clip(input.manifestDigest))} is not of the form sha256:<64 hex digits>`,
    );
  }
  const entries = Object.entries(input.annotations ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const optional = entries.length === 0 ? null : Object.fromEntries(entries);
  const payload = {
    critical: {
      identity: { "docker-reference": reference },
      image: { "docker-manifest-digest": input.manifestDigest },
      type: SIMPLE_SIGNING_TYPE,
    },
    optional,
  };
  return Buffer.from(JSON.stringify(payload), "utf8");
}

/**
 * Parses a simple-signing payload, strictly as containers/image does: `critical` holds exactly `identity`,
 * `image` and `type` (a critical field not understood must not be skipped), `type` is cosign's, the digest
 * is well formed. `where` names the payload in messages (`layer 0 of sha256-….sig`).
 */
export function parseSimpleSigningPayload(bytes: Uint8Array, where: string): SimpleSigningPayload {
  const fail = (what: string): never => {
    throw signError(`Cannot read the signature payload: ${what} (${where})`);
  };
  if (bytes.length > MAX_SIMPLE_SIGNING_BYTES) {
    fail(`${bytes.length} bytes, over the ${MAX_SIMPLE_SIGNING_BYTES}-byte limit of a signature payload`);
  }
  const document = parseJsonObjectBytes(bytes, fail);
  const critical = document.critical;
  if (!isJsonObject(critical)) return fail("no `critical` object");
  const unknown = Object.keys(critical).filter((k) => k !== "identity" && k !== "image" && k !== "type");
  if (unknown.length > 0)
    fail(`\`critical\` has fields this verifier does not understand: ${unknown.join(", ")}`);
  const type = critical.type;
  if (type !== SIMPLE_SIGNING_TYPE) {
    fail(`critical.type is ${JSON.stringify(type)}, not ${JSON.stringify(SIMPLE_SIGNING_TYPE)}`);
  }
  const identity = critical.identity;
  if (!isJsonObject(identity)) return fail("no critical.identity object");
  const reference = identity["docker-reference"];
  if (typeof reference !== "string" || reference.length === 0) {
    return fail("critical.identity.docker-reference is missing or not a string");
  }
  const image = critical.image;
  if (!isJsonObject(image)) return fail("no critical.image object");
  const digest = image["docker-manifest-digest"];
  if (typeof digest !== "string" || !MANIFEST_DIGEST.test(digest)) {
    return fail(
      `critical.image.docker-manifest-digest ${JSON.stringify(typeof digest === "string" ? clip(digest) : digest)} is not a digest`,
    );
  }
  const optional = document.optional;
  if (optional !== undefined && optional !== null && !isJsonObject(optional)) {
    fail("`optional` is neither an object nor null");
  }
  return {
    dockerReference: reference,
    manifestDigest: digest,
    type: SIMPLE_SIGNING_TYPE,
    annotations: isJsonObject(optional) ? optional : {},
  };
}
