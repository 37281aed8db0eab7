import { createHash, X509Certificate } from "node:crypto";
import type { Bundle } from "@sigstore/bundle";
import type { TrustedRoot } from "@sigstore/protobuf-specs";
import { toTrustMaterial } from "@sigstore/verify";
import { clip, decodeBase64Strict, isJsonObject, parseJsonObjectBytes } from "../encoding.js";
import type { SignatureEntry } from "../signature-manifest.js";
import { KeylessError } from "./keyless-error.js";
import { parseSigstoreBundle } from "./read-sigstore-bundle.js";
import type { ExpectedIdentity, IdentityMatcher } from "./signer-identity.js";
import type { LoadedTrustedRoot } from "./trusted-root.js";
import { pemBlocks } from "./trusted-root-from-keys.js";
import { type SigstoreVerification, verifySigstoreBundle } from "./verify-sigstore-bundle.js";

/** Most certificates taken from a layer's chain annotation. */
const MAX_CHAIN = 4;

/** A keyless signature layer of a cosign `.sig` manifest, with its payload blob, to verify. */
export interface CosignKeylessLayerCheck {
  /** The layer, as parseSignatureManifest gives it: signature, certificate, chain and Rekor bundle annotations. */
  entry: SignatureEntry;
  /** The layer's blob (the simple-signing payload); its sha256 must be the layer's digest. */
  payload: Uint8Array;
  trustedRoot: LoadedTrustedRoot;
  identity: ExpectedIdentity | IdentityMatcher;
  /** The layer as messages name it (`layers[0] of sha256-….sig`). */
  where: string;
}

/**
 * Verifies a keyless cosign signature layer as a Sigstore bundle: the annotations become a v0.1 bundle (the
 * Fulcio certificate, the Rekor entry with its SET, a message signature over the payload), verified with
 * verifySigstoreBundle against the trusted root. The chain annotation's intermediates are trusted only once
 * they are verified to be issued by a certificate authority of the trusted root. Throws a KeylessError
 * naming the failed check.
 */
export function verifyCosignKeylessLayer(check: CosignKeylessLayerCheck): SigstoreVerification {
  const { entry, payload, where } = check;
  const digest = `sha256:${createHash("sha256").update(payload).digest("hex")}`;
  if (digest !== entry.digest) {
    throw new KeylessError(
      "artifact",
      `Cannot verify the keyless signature: the payload's digest ${digest} is not the layer's ${clip(entry.digest)} (${where})`,
    );
  }
  const bundle = cosignLayerBundle(entry, payload, where);
  return verifySigstoreBundle({
    bundle,
    trustedRoot: withIntermediates(check.trustedRoot, entry.chain ?? "", where),
    artifact: payload,
    identity: check.identity,
    where,
  });
}

/** The Sigstore bundle (v0.1, message signature) that a keyless cosign layer's annotations amount to. */
export function cosignLayerBundle(entry: SignatureEntry, payload: Uint8Array, where: string): Bundle {
  if (entry.certificate === undefined) {
    throw malformed(
      "it has no certificate annotation (dev.sigstore.cosign/certificate): it is not keyless",
      where,
    );
  }
  if (entry.rekorBundle === undefined) {
    throw malformed(
      "it has no Rekor bundle annotation (dev.sigstore.cosign/bundle), so nothing proves it was logged",
      where,
    );
  }
  const leaf = pemBlocks(entry.certificate, "CERTIFICATE", "certificate", where);
  if (leaf.length !== 1)
    throw malformed(`its certificate annotation holds ${leaf.length} certificates, not 1`, where);
  const rekor = parseJsonObjectBytes(Buffer.from(entry.rekorBundle, "utf8"), (what) => {
    throw malformed(`its Rekor bundle annotation is ${what}`, where);
  });
  const set = rekor.SignedEntryTimestamp;
  const logged = rekor.Payload;
  if (typeof set !== "string" || !isJsonObject(logged)) {
    throw malformed("its Rekor bundle lacks SignedEntryTimestamp or Payload", where);
  }
  const { body, integratedTime, logIndex, logID } = logged;
  if (
    typeof body !== "string" ||
    !Number.isSafeInteger(integratedTime) ||
    !Number.isSafeInteger(logIndex) ||
    typeof logID !== "string" ||
    !/^[0-9a-f]{64}$/.test(logID)
  ) {
    throw malformed("its Rekor bundle Payload lacks body, integratedTime, logIndex or logID", where);
  }
  const bodyBytes = decodeBase64Strict(body) ?? malformed("its Rekor entry body is not base64", where);
  const entryBody = parseJsonObjectBytes(bodyBytes, (what) =>
    malformed(`its Rekor entry body is ${what}`, where),
  );
  if (typeof entryBody.kind !== "string" || typeof entryBody.apiVersion !== "string") {
    throw malformed("its Rekor entry body has no kind or apiVersion", where);
  }
  const der = (pem: string) => certificateDer(pem, where).toString("base64");
  const document = {
    mediaType: "application/vnd.dev.sigstore.bundle+json;version=0.1",
    verificationMaterial: {
      x509CertificateChain: { certificates: [{ rawBytes: der(leaf[0] as string) }] },
      tlogEntries: [
        {
          logIndex: String(logIndex),
          logId: { keyId: Buffer.from(logID, "hex").toString("base64") },
          kindVersion: { kind: entryBody.kind, version: entryBody.apiVersion },
          integratedTime: String(integratedTime),
          inclusionPromise: { signedEntryTimestamp: set },
          canonicalizedBody: body,
        },
      ],
    },
    messageSignature: {
      messageDigest: { algorithm: "SHA2_256", digest: createHash("sha256").update(payload).digest("base64") },
      signature: entry.signatureB64,
    },
  };
  return parseSigstoreBundle(Buffer.from(JSON.stringify(document)), where);
}

/**
 * The trusted root plus, for each intermediate of the chain annotation that a certificate authority of the
 * root issued (signature checked here), that authority extended with it: the library trusts every
 * certificate of an authority's chain, so an unverified one must never get there.
 */
function withIntermediates(trusted: LoadedTrustedRoot, chainPem: string, where: string): LoadedTrustedRoot {
  const chain = pemBlocks(chainPem, "CERTIFICATE", "chain certificate", where).slice(0, MAX_CHAIN);
  if (chain.length === 0) return trusted;
  const candidates = chain.map((pem) => new X509Certificate(certificateDer(pem, where)));
  const derived: TrustedRoot["certificateAuthorities"] = [];
  let authorities = trusted.root.certificateAuthorities;
  // One level per round: an intermediate issued by one accepted in the round before
  for (let round = 0; round < MAX_CHAIN && authorities.length > 0; round++) {
    const next: TrustedRoot["certificateAuthorities"] = [];
    for (const authority of authorities) {
      const issuers = (authority.certChain?.certificates ?? []).map(
        (c) => new X509Certificate(Buffer.from(c.rawBytes)),
      );
      for (const candidate of candidates) {
        const known = [...derived, ...next, ...trusted.root.certificateAuthorities].some((a) =>
          a.certChain?.certificates.some((c) => Buffer.from(c.rawBytes).equals(candidate.raw)),
        );
        if (known || !candidate.ca || candidate.checkIssued(candidate)) continue;
        if (!issuers.some((issuer) => candidate.checkIssued(issuer) && candidate.verify(issuer.publicKey)))
          continue;
        next.push({
          ...authority,
          certChain: {
            certificates: [{ rawBytes: candidate.raw }, ...(authority.certChain?.certificates ?? [])],
          },
        });
      }
    }
    derived.push(...next);
    authorities = next;
  }
  if (derived.length === 0) return trusted;
  const root = {
    ...trusted.root,
    certificateAuthorities: [...derived, ...trusted.root.certificateAuthorities],
  };
  return {
    root,
    material: { ...toTrustMaterial(root), publicKey: trusted.material.publicKey },
    where: trusted.where,
  };
}

function certificateDer(pem: string, where: string): Buffer {
  try {
    return new X509Certificate(pem).raw;
  } catch (error) {
    throw malformed(`a certificate annotation cannot be read (${(error as Error).message})`, where);
  }
}

function malformed(what: string, where: string): never {
  throw new KeylessError("bundle", `Cannot verify the keyless signature: ${what} (${where})`, {
    hint: "The layer was not written by cosign keyless signing, or was altered.",
  });
}
