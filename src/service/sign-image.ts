import { createPublicKey, type KeyObject } from "node:crypto";
import { formatImageReference } from "../image/image-reference.js";
import type { RegistryClient } from "../image/registry/registry-client.js";
import { CipError, type ImageRef } from "../model/index.js";
import { signPayload, verifySignatureLayer } from "../sign/cosign-signature.js";
import { envelopeBytes, signDsse } from "../sign/dsse.js";
import { sha256Digest } from "../sign/encoding.js";
import { IN_TOTO_PAYLOAD_TYPE, imageSubject, statement, statementBytes } from "../sign/in-toto.js";
import {
  type AttachmentManifestBuild,
  appendSignatureLayer,
  attestationTag,
  DSSE_MEDIA_TYPE,
  type NewSignatureLayer,
  PREDICATE_TYPE_ANNOTATION,
  parseSignatureManifest,
  signatureTag,
} from "../sign/signature-manifest.js";
import { simpleSigningPayload } from "../sign/simple-signing.js";

/** What was pushed for one signature or attestation. */
export interface SignResult {
  /** The image's manifest digest that was signed. */
  digest: string;
  /** The tag the signature manifest is under (`sha256-<hex>.sig` / `.att`), in the image's repository. */
  tag: string;
  /** False when the tag already held this exact signature: nothing was pushed. */
  added: boolean;
  /** Layers of the tag's earlier manifest that were unreadable and left out. */
  dropped: number;
}

/** Tries of the read-append-push of a tag, when another signer changed it meanwhile. */
const APPEND_TRIES = 3;

/** The name a signature names its image by: `registry/repository`, as cosign writes it. */
export function signedReference(ref: ImageRef): string {
  return formatImageReference({ registry: ref.registry, repository: ref.repository });
}

/** The image's manifest digest: pinned by the reference, else asked of the registry. */
export async function manifestDigestOf(ref: ImageRef, client: RegistryClient): Promise<string> {
  return ref.digest ?? (await client.headDigest(ref));
}

/**
 * Signs an image as cosign does: a simple-signing payload naming `registry/repository` and the manifest
 * digest (plus `annotations`), signed with ECDSA P-256, added as a layer to the manifest under
 * `sha256-<hex>.sig` in the image's repository, keeping the signatures already there. Blobs go first and the
 * manifest last, so a failed push never leaves a tag that claims a signature it lacks.
 */
export async function signImage(
  ref: ImageRef,
  options: { client: RegistryClient; privateKey: KeyObject; annotations?: Record<string, string> },
): Promise<SignResult> {
  const digest = await manifestDigestOf(ref, options.client);
  const payload = simpleSigningPayload({
    dockerReference: signedReference(ref),
    manifestDigest: digest,
    ...(options.annotations !== undefined && Object.keys(options.annotations).length > 0
      ? { annotations: options.annotations }
      : {}),
  });
  const layer: NewSignatureLayer = { payload, signatureB64: signPayload(payload, options.privateKey) };
  // As cosign: a signature of the same payload that the same key made is already there; ECDSA signatures
  // differ on every signing, so equal bytes cannot tell
  const signer = [{ name: "signer", key: createPublicKey(options.privateKey) }];
  const payloadDigest = sha256Digest(payload);
  const alreadySigned = (existing: Buffer) =>
    parseSignatureManifest(existing, signatureTag(digest)).entries.some(
      (entry) =>
        entry.digest === payloadDigest &&
        verifySignatureLayer({
          payload,
          signatureB64: entry.signatureB64,
          layerDigest: entry.digest,
          publicKeys: signer,
          expectedDigest: digest,
        }).ok,
    );
  return appendAndPush(ref, digest, signatureTag(digest), layer, options.client, alreadySigned);
}

/**
 * Attaches a signed in-toto statement about the image as cosign attests: a DSSE envelope (payload type
 * in-toto) as a layer of the manifest under `sha256-<hex>.att`, with the `predicateType` annotation.
 */
export async function attestImage(
  ref: ImageRef,
  predicateType: string,
  predicate: Record<string, unknown>,
  options: { client: RegistryClient; privateKey: KeyObject; digest?: string },
): Promise<SignResult> {
  const digest = options.digest ?? (await manifestDigestOf(ref, options.client));
  const body = statementBytes(
    statement([imageSubject(signedReference(ref), digest)], predicateType, predicate),
  );
  const envelope = envelopeBytes(signDsse(IN_TOTO_PAYLOAD_TYPE, body, options.privateKey));
  const layer: NewSignatureLayer = {
    payload: envelope,
    signatureB64: "",
    mediaType: DSSE_MEDIA_TYPE,
    annotations: { [PREDICATE_TYPE_ANNOTATION]: predicateType },
  };
  return appendAndPush(ref, digest, attestationTag(digest), layer, options.client);
}

async function appendAndPush(
  ref: ImageRef,
  digest: string,
  tag: string,
  layer: NewSignatureLayer,
  client: RegistryClient,
  alreadyThere: (existing: Buffer) => boolean = () => false,
): Promise<SignResult> {
  const target = { registry: ref.registry, repository: ref.repository };
  for (let attempt = 1; ; attempt++) {
    const existing = await client.getManifest({ ...target, reference: tag });
    if (existing !== undefined && alreadyThere(existing.body))
      return { digest, tag, added: false, dropped: 0 };
    const build: AttachmentManifestBuild = appendSignatureLayer(
      existing?.body,
      layer,
      `${tag} in ${ref.repository}`,
    );
    if (!build.added) return { digest, tag, added: false, dropped: build.dropped.length };
    for (const blob of build.blobs) await client.pushBlob(target, blob.bytes, { mediaType: blob.mediaType });
    await client.pushManifest({ ...target, reference: tag }, build.manifest, build.manifestMediaType);
    // Another signer may have pushed in between: the tag must now hold what we pushed
    const now = await client.getManifest({ ...target, reference: tag });
    if (now?.digest === build.manifestDigest)
      return { digest, tag, added: true, dropped: build.dropped.length };
    if (attempt >= APPEND_TRIES) {
      throw new CipError(
        "CIP_REGISTRY",
        `Cannot sign ${formatImageReference(ref)}: ${tag} kept changing while it was being updated (${attempt} tries)`,
        { hint: "Another signer writes the same tag: retry when it is done." },
      );
    }
  }
}
