import { createHash, createPublicKey, type KeyObject, X509Certificate } from "node:crypto";
import { KeylessError } from "./keyless-error.js";
import { type LoadedTrustedRoot, parseTrustedRoot, TRUSTED_ROOT_MEDIA_TYPES } from "./trusted-root.js";

/** Most certificates or keys taken from one PEM text. */
const MAX_PEM_BLOCKS = 16;

/**
 * Trust material given as loose PEM, as older tools configure keyless verification (Connaisseur, cosign's
 * SIGSTORE_* variables, containers-policy.json): Fulcio CA certificates, Rekor public keys and CT-log
 * public keys.
 */
export interface LooseTrustMaterial {
  /** PEM certificates of the Fulcio certificate authority (its root; intermediates may follow). */
  fulcioCertificates: string;
  /** PEM public keys of the Rekor logs that may have recorded signatures. */
  rekorKeys: readonly string[];
  /** PEM public keys of the certificate transparency logs whose SCTs Fulcio certificates carry. */
  ctLogKeys: readonly string[];
}

/**
 * Builds a trusted root from loose PEM material: each key's log id is the SHA-256 of its DER
 * SubjectPublicKeyInfo (as Rekor and RFC 6962 define it); nothing is time-limited. Throws a KeylessError
 * (check `trusted-root`, CIP_TRUST_ROOT_INVALID) naming what cannot be read; `where` names the source.
 */
export function trustedRootFromKeys(material: LooseTrustMaterial, where: string): LoadedTrustedRoot {
  const certificates = pemBlocks(material.fulcioCertificates, "CERTIFICATE", "Fulcio certificate", where).map(
    (pem, i) => {
      try {
        return new X509Certificate(pem).raw;
      } catch (error) {
        throw invalid(`Fulcio certificate ${i + 1} cannot be read (${(error as Error).message})`, where);
      }
    },
  );
  if (certificates.length === 0) throw invalid("no Fulcio certificate was given", where);
  const document = {
    mediaType: TRUSTED_ROOT_MEDIA_TYPES[0],
    tlogs: material.rekorKeys.map((pem, i) => logInstance(pem, `Rekor key ${i + 1}`, where)),
    ctlogs: material.ctLogKeys.map((pem, i) => logInstance(pem, `CT-log key ${i + 1}`, where)),
    certificateAuthorities: [
      { certChain: { certificates: certificates.map((der) => ({ rawBytes: der.toString("base64") })) } },
    ],
    timestampAuthorities: [],
  };
  return parseTrustedRoot(Buffer.from(JSON.stringify(document)), where);
}

function logInstance(pem: string, what: string, where: string) {
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch (error) {
    throw invalid(`${what} cannot be read (${(error as Error).message})`, where);
  }
  const der = key.export({ format: "der", type: "spki" });
  return {
    baseUrl: "",
    hashAlgorithm: "SHA2_256",
    publicKey: { rawBytes: der.toString("base64"), keyDetails: keyDetails(key, what, where) },
    logId: { keyId: createHash("sha256").update(der).digest("base64") },
  };
}

// @sigstore/verify reads every key as SubjectPublicKeyInfo except the PKCS#1 RSA kinds: name the EC/Ed25519 kind
function keyDetails(key: KeyObject, what: string, where: string): string {
  if (key.asymmetricKeyType === "ed25519") return "PKIX_ED25519";
  if (key.asymmetricKeyType === "ec") {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve === "prime256v1") return "PKIX_ECDSA_P256_SHA_256";
    if (curve === "secp384r1") return "PKIX_ECDSA_P384_SHA_384";
    if (curve === "secp521r1") return "PKIX_ECDSA_P521_SHA_512";
  }
  throw invalid(
    `${what} is ${key.asymmetricKeyType ?? "of no known type"}, not an ECDSA or Ed25519 log key`,
    where,
  );
}

/** The PEM blocks of one label in a text, at most {@link MAX_PEM_BLOCKS}. */
export function pemBlocks(text: string, label: string, what: string, where: string): string[] {
  const pattern = new RegExp(`-----BEGIN ${label}-----[A-Za-z0-9+/=\\s]*?-----END ${label}-----`, "g");
  const blocks = text.match(pattern) ?? [];
  if (blocks.length > MAX_PEM_BLOCKS) {
    throw invalid(`${blocks.length} ${what}s were given, over ${MAX_PEM_BLOCKS}`, where);
  }
  return blocks;
}

function invalid(what: string, where: string): KeylessError {
  return new KeylessError("trusted-root", `Cannot build the trusted root: ${what} (${where})`, {
    code: "CIP_TRUST_ROOT_INVALID",
    hint: "Give the Fulcio root certificate and the Rekor and CT-log public keys as PEM.",
  });
}
