import type { RegistryClient } from "../image/registry/registry-client.js";
import { type ImageRef, isCipError, type Problem } from "../model/index.js";
import { type TrustedKey, verifySignatureLayers } from "../sign/cosign-signature.js";
import { parseDsseEnvelope, verifyDsse } from "../sign/dsse.js";
import { statementCovers } from "../sign/in-toto.js";
import {
  attestationTag,
  MAX_ATTESTATION_BYTES,
  MAX_SIGNATURE_PAYLOAD_BYTES,
  parseAttestationManifest,
  parseSignatureManifest,
  signatureTag,
} from "../sign/signature-manifest.js";
import {
  readVerificationSummary,
  type VerificationSummaryFacts,
  VSA_PREDICATE_TYPE,
} from "../sign/verification-summary.js";
import { manifestDigestOf, signedReference } from "./sign-image.js";

/** One signature layer of the image, verified or refused. */
export interface CheckedSignature {
  /** Position in the `.sig` manifest. */
  layer: number;
  valid: boolean;
  /** The trusted key that verified it. */
  keyName?: string;
  /** Why it was refused (tampered payload, swapped signature, another digest, untrusted key, unreadable). */
  reason?: string;
  /** Whether a refusal is for want of a trusted key (`untrusted`) or a broken signature (`invalid`). */
  refusal?: "untrusted" | "invalid";
  /** The payload's optional annotations (`optional` of the simple-signing payload), for a valid signature. */
  annotations?: Record<string, unknown>;
}

/** What verification found for one image. */
export interface SignatureReport {
  digest: string;
  /** The tag looked at (`sha256-<hex>.sig` or `.att`); absent from the registry when `found` is false. */
  tag: string;
  found: boolean;
  signatures: CheckedSignature[];
  /** Layers that could not be read at all (garbage descriptors), one problem each. */
  problems: Problem[];
}

/** One attestation layer, verified and read, or refused. */
export interface CheckedAttestation {
  layer: number;
  valid: boolean;
  keyName?: string;
  reason?: string;
  /** Whether a refusal is for want of a trusted key (`untrusted`) or a broken attestation (`invalid`). */
  refusal?: "untrusted" | "invalid";
  predicateType?: string;
  /** What a valid CIPolicE verification summary says. */
  summary?: VerificationSummaryFacts;
}

/** What attestation verification found for one image. */
export interface AttestationReport extends Omit<SignatureReport, "signatures"> {
  attestations: CheckedAttestation[];
}

/**
 * Verifies an image's cosign signatures (`sha256-<hex>.sig`) against the trusted keys: each layer's payload
 * must hash to the layer digest, verify with a trusted key, and name this image's digest (and repository).
 * Never throws for what a layer holds: each bad layer is reported with its reason.
 */
export async function verifyImageSignatures(
  ref: ImageRef,
  options: { client: RegistryClient; keys: readonly TrustedKey[] },
): Promise<SignatureReport> {
  const digest = await manifestDigestOf(ref, options.client);
  const tag = signatureTag(digest);
  const target = { registry: ref.registry, repository: ref.repository };
  const manifest = await options.client.getManifest({ ...target, reference: tag });
  if (manifest === undefined) return { digest, tag, found: false, signatures: [], problems: [] };
  const parsed = parseSignatureManifest(manifest.body, tag);
  const fetched: {
    index: number;
    payload?: Buffer;
    signatureB64: string;
    layerDigest: string;
    error?: string;
  }[] = [];
  for (const entry of parsed.entries) {
    try {
      const payload = await options.client.getBlob(target, entry.digest, MAX_SIGNATURE_PAYLOAD_BYTES);
      fetched.push({
        index: entry.index,
        payload,
        signatureB64: entry.signatureB64,
        layerDigest: entry.digest,
      });
    } catch (error) {
      if (!isCipError(error)) throw error;
      fetched.push({
        index: entry.index,
        signatureB64: entry.signatureB64,
        layerDigest: entry.digest,
        error: error.message,
      });
    }
  }
  const readable = fetched.filter((f) => f.payload !== undefined);
  const verdicts = verifySignatureLayers(
    readable.map((f) => ({
      payload: f.payload as Buffer,
      signatureB64: f.signatureB64,
      layerDigest: f.layerDigest,
      where: `layer ${f.index} of ${tag}`,
    })),
    { publicKeys: options.keys, expectedDigest: digest, expectedReference: signedReference(ref) },
  );
  const byIndex = new Map(readable.map((f, i) => [f.index, verdicts[i]]));
  const signatures = fetched.map((f): CheckedSignature => {
    if (f.error !== undefined)
      return {
        layer: f.index,
        valid: false,
        reason: `its payload cannot be read: ${f.error}`,
        refusal: "invalid",
      };
    const verdict = byIndex.get(f.index);
    if (verdict?.ok) {
      return {
        layer: f.index,
        valid: true,
        keyName: verdict.keyName,
        ...(verdict.payload.annotations !== undefined ? { annotations: verdict.payload.annotations } : {}),
      };
    }
    const untrusted = verdict?.kind === "untrusted-signature" || verdict?.kind === "no-trusted-keys";
    return {
      layer: f.index,
      valid: false,
      reason: verdict?.reason ?? "not verified",
      refusal: untrusted ? "untrusted" : "invalid",
    };
  });
  return { digest, tag, found: true, signatures, problems: parsed.problems };
}

/**
 * Verifies an image's attestations (`sha256-<hex>.att`): each DSSE envelope must verify with a trusted key
 * and its in-toto statement must name this image's digest; CIPolicE verification summaries are read.
 */
export async function verifyImageAttestations(
  ref: ImageRef,
  options: { client: RegistryClient; keys: readonly TrustedKey[]; digest?: string },
): Promise<AttestationReport> {
  const digest = options.digest ?? (await manifestDigestOf(ref, options.client));
  const tag = attestationTag(digest);
  const target = { registry: ref.registry, repository: ref.repository };
  const manifest = await options.client.getManifest({ ...target, reference: tag });
  if (manifest === undefined) return { digest, tag, found: false, attestations: [], problems: [] };
  const parsed = parseAttestationManifest(manifest.body, tag);
  const attestations: CheckedAttestation[] = [];
  for (const entry of parsed.entries) {
    const where = `layer ${entry.index} of ${tag}`;
    try {
      const bytes = await options.client.getBlob(target, entry.digest, MAX_ATTESTATION_BYTES);
      const verdict = verifyDsse(parseDsseEnvelope(bytes, where), options.keys, where);
      if (!verdict.ok) {
        attestations.push({
          layer: entry.index,
          valid: false,
          reason: verdict.reason,
          refusal: verdict.untrusted ? "untrusted" : "invalid",
        });
        continue;
      }
      const statement = verdict.statement;
      if (statement === undefined || !statementCovers(statement, digest)) {
        attestations.push({
          layer: entry.index,
          valid: false,
          keyName: verdict.keyName,
          reason: `the signed statement is about another image than ${digest} (${where})`,
          refusal: "invalid",
        });
        continue;
      }
      const summary =
        statement.predicateType === VSA_PREDICATE_TYPE
          ? readVerificationSummary(statement, where)
          : undefined;
      attestations.push({
        layer: entry.index,
        valid: true,
        keyName: verdict.keyName,
        predicateType: statement.predicateType,
        ...(summary !== undefined ? { summary } : {}),
      });
    } catch (error) {
      if (!isCipError(error)) throw error;
      attestations.push({ layer: entry.index, valid: false, reason: error.message, refusal: "invalid" });
    }
  }
  return { digest, tag, found: true, attestations, problems: parsed.problems };
}
