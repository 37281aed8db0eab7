import type { KeyObject } from "node:crypto";
import { isCipError } from "../model/index.js";
import { clip, decodeBase64Strict, sha256Digest } from "./encoding.js";
import { signBytes, verifyBytes } from "./key-algorithm.js";
import { parseSimpleSigningPayload, type SimpleSigningPayload } from "./simple-signing.js";

/** A public key trusted to sign, with the name messages and decisions use for it. */
export interface TrustedKey {
  name: string;
  key: KeyObject;
}

/** Why a signature layer was refused: a stable kind for code, and `reason` for people. */
export type SignatureRefusal =
  | "tampered-payload"
  | "bad-signature-encoding"
  | "no-trusted-keys"
  | "untrusted-signature"
  | "swapped-signature"
  | "invalid-payload"
  | "other-digest"
  | "other-reference";

/** The outcome of verifying one signature layer. */
export type SignatureVerdict =
  | { ok: true; keyName: string; payload: SimpleSigningPayload }
  | { ok: false; kind: SignatureRefusal; reason: string };

/** What {@link verifySignatureLayer} checks. */
export interface SignatureLayerCheck {
  /** The payload blob as fetched. */
  payload: Uint8Array;
  /** The layer's `dev.cosignproject.cosign/signature` annotation. */
  signatureB64: string;
  /** The layer descriptor's digest: the payload must hash to it. */
  layerDigest: string;
  publicKeys: readonly TrustedKey[];
  /** The digest of the image being verified: the payload must name it. */
  expectedDigest: string;
  /**
   * When given, the payload's docker-reference must name the same repository (tags and digests aside,
   * `index.docker.io` read as `docker.io`): cosign writes the repository, containers/image the tagged name.
   */
  expectedReference?: string;
  /** Names the layer in reasons (`layer 1 of sha256-….sig`). */
  where?: string;
}

/** Signs payload bytes as cosign does: ECDSA (P-256 with SHA-256 for cosign keys), ASN.1 DER, base64. */
export function signPayload(payload: Uint8Array, privateKey: KeyObject): string {
  return signBytes(payload, privateKey, "the signature payload").toString("base64");
}

/**
 * Verifies one cosign signature layer, in order: the payload is the blob the layer names (else "tampered
 * payload"), the signature verifies with one of the trusted keys, the signed payload is a simple-signing
 * payload, it names the image's digest (else "signed for another image digest") and, when asked, its
 * repository. Never throws for bad input: every refusal is a verdict with a reason a user can act on.
 */
export function verifySignatureLayer(check: SignatureLayerCheck): SignatureVerdict {
  const at = check.where === undefined ? "" : ` (${check.where})`;
  const actual = sha256Digest(check.payload);
  if (actual !== check.layerDigest) {
    return refuse(
      "tampered-payload",
      `tampered payload (digest mismatch with the layer): the payload hashes to ${actual}, the layer names ${clip(check.layerDigest)}${at}`,
    );
  }
  const signature = decodeBase64Strict(check.signatureB64);
  if (signature === undefined || signature.length === 0) {
    return refuse("bad-signature-encoding", `the signature annotation is not base64${at}`);
  }
  if (check.publicKeys.length === 0) {
    return refuse("no-trusted-keys", `no trusted keys to verify the signature with${at}`);
  }
  const signer = check.publicKeys.find((k) => verifyBytes(check.payload, signature, k.key));
  if (signer === undefined) {
    return refuse(
      "untrusted-signature",
      `signature does not verify with any trusted key (${check.publicKeys.map((k) => k.name).join(", ")})${at}`,
    );
  }
  let payload: SimpleSigningPayload;
  try {
    payload = parseSimpleSigningPayload(check.payload, check.where ?? "signature layer");
  } catch (error) {
    if (!isCipError(error)) throw error;
    return refuse("invalid-payload", `signed by ${signer.name}, but ${error.message}`);
  }
  if (payload.manifestDigest !== check.expectedDigest) {
    return refuse(
      "other-digest",
      `signed for another image digest ${payload.manifestDigest} (this image is ${check.expectedDigest})${at}`,
    );
  }
  if (
    check.expectedReference !== undefined &&
    !sameRepository(payload.dockerReference, check.expectedReference)
  ) {
    return refuse(
      "other-reference",
      `signed for another image name ${payload.dockerReference} (expected ${check.expectedReference})${at}`,
    );
  }
  return { ok: true, keyName: signer.name, payload };
}

/** A fetched signature layer: what {@link verifySignatureLayers} needs of each. */
export interface FetchedSignatureLayer {
  payload: Uint8Array;
  signatureB64: string;
  layerDigest: string;
  where?: string;
}

/** Most extra verifications spent looking for swapped signatures: garbage layers must not cost n² checks. */
export const SWAP_CHECK_BUDGET = 256;

/**
 * Verifies every layer of a `.sig` manifest. A signature that verifies with a trusted key only over
 * another layer's payload is reported as swapped between layers (not merely untrusted), so a user sees
 * which tampering it was; that search stops after {@link SWAP_CHECK_BUDGET} verifications.
 */
export function verifySignatureLayers(
  layers: readonly FetchedSignatureLayer[],
  options: { publicKeys: readonly TrustedKey[]; expectedDigest: string; expectedReference?: string },
): SignatureVerdict[] {
  const digests = layers.map((l) => sha256Digest(l.payload));
  let budget = SWAP_CHECK_BUDGET;
  return layers.map((layer, index) => {
    const verdict = verifySignatureLayer({ ...layer, ...options });
    if (verdict.ok || verdict.kind !== "untrusted-signature") return verdict;
    const signature = decodeBase64Strict(layer.signatureB64) ?? Buffer.alloc(0);
    const owner = layers.findIndex((other, j) => {
      if (j === index || digests[j] === digests[index] || budget <= 0) return false;
      return options.publicKeys.some((k) => budget-- > 0 && verifyBytes(other.payload, signature, k.key));
    });
    if (owner < 0) return verdict;
    const at = layer.where === undefined ? "" : ` (${layer.where})`;
    return refuse(
      "swapped-signature",
      `swapped signature: it was made over the payload of ${layers[owner]?.where ?? `layer ${owner}`}, not this layer's${at}`,
    );
  });
}

/** Repository part of an image name: without tag or digest, `index.docker.io` as `docker.io`. */
function repositoryOf(reference: string): string {
  const noDigest = reference.split("@")[0] ?? reference;
  const slash = noDigest.lastIndexOf("/");
  const colon = noDigest.lastIndexOf(":");
  const name = colon > slash ? noDigest.slice(0, colon) : noDigest;
  return name.startsWith("index.docker.io/") ? `docker.io/${name.slice("index.docker.io/".length)}` : name;
}

function sameRepository(a: string, b: string): boolean {
  return repositoryOf(a) === repositoryOf(b);
}

function refuse(kind: SignatureRefusal, reason: string): SignatureVerdict {
  return { ok: false, kind, reason };
}
