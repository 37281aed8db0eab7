import { createHash, createPublicKey, type KeyObject, timingSafeEqual } from "node:crypto";
import type { Bundle, TransparencyLogEntry } from "@sigstore/bundle";
import { HashAlgorithm } from "@sigstore/protobuf-specs";
import { type SignedEntity, type TrustMaterial, toSignedEntity, Verifier } from "@sigstore/verify";
import { CipError } from "../../model/index.js";
import { pae } from "../dsse.js";
import { clip } from "../encoding.js";
import {
  IN_TOTO_PAYLOAD_TYPE,
  parseStatement,
  type Statement,
  type Subject,
  statementCovers,
} from "../in-toto.js";
import { keyFingerprint, publicKeyOf } from "../keys/public-key.js";
import { KeylessError } from "./keyless-error.js";
import { explainLibraryFailure } from "./library-failure.js";
import { type ExpectedIdentity, type IdentityMatcher, identityMatcher } from "./signer-identity.js";
import { type LoadedTrustedRoot, tlogBaseUrl } from "./trusted-root.js";

/** What to verify a bundle against. */
export interface VerifySigstoreBundleOptions {
  /** The bundle, from parseSigstoreBundle / readSigstoreBundle. */
  bundle: Bundle;
  /** The trust material (Fulcio CAs, Rekor and CT log keys, timestamp authorities). */
  trustedRoot: LoadedTrustedRoot;
  /** The signed artifact: required for a message signature; for DSSE, compared with the statement's subjects. */
  artifact?: Uint8Array;
  /** For DSSE only, instead of the artifact: its digest `sha256:<hex>` (an image manifest digest, say). */
  artifactDigest?: string;
  /** Who must have signed: required for a certificate bundle, refused for a managed-key one. */
  identity?: ExpectedIdentity | IdentityMatcher;
  /** The managed key (PEM or KeyObject): required for a bundle signed with a key, refused otherwise. */
  publicKey?: string | KeyObject;
  /** The bundle as messages name it (its file). */
  where?: string;
}

/** The transparency-log entry that was verified. */
export interface VerifiedTlogEntry {
  logIndex: number;
  /** base64 of the log id (Rekor v1) or checkpoint key id (Rekor v2). */
  logId: string;
  /** The trusted root's base URL of that log. */
  log: string | undefined;
  kind: string;
  version: string;
  /** When the log recorded the entry (ISO 8601); none for Rekor v2 entries, which carry no time. */
  integratedTime?: string;
  /** What proved the inclusion: the signed entry timestamp, the Merkle inclusion proof, or both. */
  proofs: ("signed-entry-timestamp" | "inclusion-proof")[];
}

/** What a successful verification established. */
export interface SigstoreVerification {
  mediaType: string;
  content: "message-signature" | "dsse";
  /** The Fulcio certificate's identity, or the managed key's hint and fingerprint. */
  signer:
    | { kind: "certificate"; subject: string | undefined; issuer: string | undefined }
    | { kind: "public-key"; hint: string; fingerprint: string };
  tlogEntries: VerifiedTlogEntry[];
  /** The verified times of signing (log entries with a SET, RFC 3161 timestamps), at which the signer was checked. */
  timestamps: { source: "transparency-log" | "timestamp-authority"; time: string }[];
  /** How the artifact was bound to the signature; absent when none was given (DSSE only). */
  artifact?: { digest: string; matchedBy: "message-digest" | "statement-subject"; subject?: string };
  /** For DSSE: the payload type and, for in-toto, the statement's type, predicate type and subjects. */
  dsse?: {
    payloadType: string;
    statement?: { type: string; predicateType: string; subjects: Subject[] };
  };
}

const SUBJECT_ALGORITHMS = ["sha256", "sha384", "sha512"] as const;

/**
 * Verifies a Sigstore bundle offline, as cosign verify-blob --bundle … --trusted-root … does: the signer (a
 * Fulcio certificate chaining to the trusted root at the signed time with its SCT, or the managed key), the
 * transparency-log entry (body, SET and/or inclusion proof against the root's log keys), RFC 3161 timestamps,
 * the signature (over the artifact, or the DSSE envelope), the artifact (message digest, or a subject of the
 * in-toto statement) and the signer's identity. Time comes only from the signed timestamps, never the clock.
 * Returns what was verified; throws a KeylessError naming the failed check, or CIP_USAGE / CIP_KEY_INVALID /
 * CIP_REGEX_UNSUPPORTED for inputs that do not fit the bundle.
 */
export function verifySigstoreBundle(options: VerifySigstoreBundleOptions): SigstoreVerification {
  const { bundle, trustedRoot } = options;
  const where = options.where ?? "bundle";
  const content = bundle.content.$case === "dsseEnvelope" ? "dsse" : "message-signature";
  const keyed = bundle.verificationMaterial.content.$case === "publicKey";
  const matcher = keyed ? refuseIdentity(options.identity) : requireIdentity(options.identity);
  const key = keyed ? requireKey(options.publicKey) : refuseKey(options.publicKey);

  // The message digest is checked first so that another artifact is reported as such, not as a bad signature
  const artifact = content === "message-signature" ? messageArtifact(bundle, options, where) : undefined;

  let entity: SignedEntity;
  try {
    entity = adaptRekorV2Dsse(
      bundle,
      toSignedEntity(bundle, options.artifact ? Buffer.from(options.artifact) : undefined),
    );
  } catch (error) {
    throw explainLibraryFailure(error, content, where);
  }
  const material: TrustMaterial =
    key === undefined
      ? trustedRoot.material
      : { ...trustedRoot.material, publicKey: () => ({ publicKey: key, validFor: () => true }) };
  let signer: ReturnType<Verifier["verify"]>;
  try {
    signer = new Verifier(material).verify(entity);
  } catch (error) {
    throw explainLibraryFailure(error, content, where);
  }
  if (matcher !== undefined) {
    matcher.check(signer.identity?.subjectAlternativeName, signer.identity?.extensions?.issuer);
  }

  const dsse = content === "dsse" ? dsseFacts(bundle, where) : undefined;
  const result: SigstoreVerification = {
    mediaType: bundle.mediaType,
    content,
    signer:
      bundle.verificationMaterial.content.$case === "publicKey"
        ? {
            kind: "public-key",
            hint: bundle.verificationMaterial.content.publicKey.hint,
            fingerprint: keyFingerprint(signer.key),
          }
        : {
            kind: "certificate",
            subject: signer.identity?.subjectAlternativeName,
            issuer: signer.identity?.extensions?.issuer,
          },
    tlogEntries: entity.tlogEntries.map((entry) => tlogFacts(entry, trustedRoot)),
    timestamps: timestampFacts(entity),
  };
  if (dsse !== undefined) {
    result.dsse = {
      payloadType: dsse.payloadType,
      ...(dsse.statement === undefined
        ? {}
        : {
            statement: {
              type: dsse.statement._type,
              predicateType: dsse.statement.predicateType,
              subjects: dsse.statement.subject,
            },
          }),
    };
    const bound = statementArtifact(dsse, options, where);
    if (bound !== undefined) result.artifact = bound;
  } else if (artifact !== undefined) {
    result.artifact = artifact;
  }
  return result;
}

function requireIdentity(identity: VerifySigstoreBundleOptions["identity"]): IdentityMatcher {
  if (identity !== undefined && "check" in identity) return identity;
  return identityMatcher(identity ?? {});
}

function refuseIdentity(identity: VerifySigstoreBundleOptions["identity"]): undefined {
  const expected = identity !== undefined && "check" in identity ? identity.expected : identity;
  if (expected !== undefined && Object.values(expected).some((v) => v !== undefined)) {
    throw new CipError(
      "CIP_USAGE",
      "Cannot check a certificate identity: the bundle is signed with a managed key, not a certificate",
      { hint: "Leave out the --certificate-* options; the key given with --key is what is trusted." },
    );
  }
  return undefined;
}

function requireKey(key: string | KeyObject | undefined): KeyObject {
  if (key === undefined) {
    throw new CipError(
      "CIP_USAGE",
      "Cannot verify the Sigstore bundle: it is signed with a managed key, and no public key was given",
      { hint: "Give the signer's public key with --key FILE (PEM)." },
    );
  }
  if (typeof key !== "string") return publicKeyOf(key);
  try {
    return createPublicKey(key);
  } catch (error) {
    throw new CipError("CIP_KEY_INVALID", `Cannot read the public key: ${(error as Error).message}`, {
      hint: "Give the signer's public key as PEM (-----BEGIN PUBLIC KEY-----).",
      cause: error,
    });
  }
}

function refuseKey(key: string | KeyObject | undefined): undefined {
  if (key !== undefined) {
    throw new CipError(
      "CIP_USAGE",
      "Cannot verify the Sigstore bundle with a public key: it is signed with a certificate",
      {
        hint: "Leave out --key; say who must have signed with --certificate-identity and --certificate-oidc-issuer.",
      },
    );
  }
  return undefined;
}

const HASH_NAMES: Partial<Record<HashAlgorithm, string>> = {
  [HashAlgorithm.HASH_ALGORITHM_UNSPECIFIED]: "sha256",
  [HashAlgorithm.SHA2_256]: "sha256",
  [HashAlgorithm.SHA2_384]: "sha384",
  [HashAlgorithm.SHA2_512]: "sha512",
  [HashAlgorithm.SHA3_256]: "sha3-256",
  [HashAlgorithm.SHA3_384]: "sha3-384",
};

function messageArtifact(
  bundle: Bundle,
  options: VerifySigstoreBundleOptions,
  where: string,
): SigstoreVerification["artifact"] {
  if (options.artifact === undefined) {
    throw new CipError(
      "CIP_USAGE",
      `Cannot verify the Sigstore bundle: it signs an artifact, and none was given (${where})`,
      {
        hint:
          options.artifactDigest === undefined
            ? "Give the artifact file the bundle was made for."
            : "A message signature is checked over the artifact's bytes: give the file, not its digest.",
      },
    );
  }
  if (bundle.content.$case !== "messageSignature") return undefined;
  const { messageDigest } = bundle.content.messageSignature;
  const algorithm = HASH_NAMES[messageDigest.algorithm];
  if (algorithm === undefined) {
    throw new KeylessError(
      "bundle",
      `Cannot verify the Sigstore bundle: its message digest algorithm is unknown (${where})`,
    );
  }
  const actual = createHash(algorithm).update(options.artifact).digest();
  const expected = Buffer.from(messageDigest.digest);
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) {
    throw new KeylessError(
      "artifact",
      `Cannot verify the Sigstore bundle: the artifact is not the one signed (its ${algorithm} is ${actual.toString("hex")}, the bundle signs ${expected.toString("hex")}) (${where})`,
      { hint: "Give the artifact the bundle was made for, or the bundle made for this artifact." },
    );
  }
  return { digest: `${algorithm}:${actual.toString("hex")}`, matchedBy: "message-digest" };
}

interface DsseFacts {
  payloadType: string;
  statement?: Statement;
}

function dsseFacts(bundle: Bundle, where: string): DsseFacts {
  if (bundle.content.$case !== "dsseEnvelope") throw new Error("not a DSSE bundle");
  const envelope = bundle.content.dsseEnvelope;
  if (envelope.payloadType !== IN_TOTO_PAYLOAD_TYPE) return { payloadType: envelope.payloadType };
  try {
    return { payloadType: envelope.payloadType, statement: parseStatement(envelope.payload, where) };
  } catch (error) {
    throw new KeylessError(
      "bundle",
      `Cannot verify the Sigstore bundle: its signed payload is not an in-toto statement: ${(error as Error).message}`,
      { cause: error },
    );
  }
}

function statementArtifact(
  dsse: DsseFacts,
  options: VerifySigstoreBundleOptions,
  where: string,
): SigstoreVerification["artifact"] {
  if (options.artifact === undefined && options.artifactDigest === undefined) return undefined;
  if (dsse.statement === undefined) {
    throw new KeylessError(
      "artifact",
      `Cannot verify the Sigstore bundle against an artifact: its DSSE payload (${JSON.stringify(clip(dsse.payloadType))}) is not an in-toto statement, so it names no artifact (${where})`,
    );
  }
  const statement = dsse.statement;
  const digests =
    options.artifactDigest !== undefined
      ? [options.artifactDigest.toLowerCase()]
      : SUBJECT_ALGORITHMS.filter((a) => statement.subject.some((s) => Object.hasOwn(s.digest, a))).map(
          (a) =>
            `${a}:${createHash(a)
              .update(options.artifact as Uint8Array)
              .digest("hex")}`,
        );
  for (const digest of digests) {
    if (!statementCovers(statement, digest)) continue;
    const [algorithm, hex] = digest.split(":") as [string, string];
    const subject = statement.subject.find((s) => s.digest[algorithm]?.toLowerCase() === hex);
    return { digest, matchedBy: "statement-subject", ...(subject ? { subject: subject.name } : {}) };
  }
  const shown = digests[0] ?? "(no sha256, sha384 or sha512 subject digest to compare with)";
  throw new KeylessError(
    "artifact",
    `Cannot verify the Sigstore bundle: the artifact (${clip(shown, 140)}) is none of the statement's ${statement.subject.length} subject(s) (${where})`,
    {
      hint: "The attestation is about another artifact; give the one it names, or the attestation made for this one.",
    },
  );
}

/**
 * Rekor v2 logs a DSSE envelope as a hashedrekord 0.0.2 entry whose digest is that of the envelope's PAE
 * (rekor-v2-spec §6.1.4); @sigstore/verify 3.x compares it with the payload's digest, so it is compared here.
 */
function adaptRekorV2Dsse(bundle: Bundle, entity: SignedEntity): SignedEntity {
  const entries = entity.tlogEntries;
  if (bundle.content.$case !== "dsseEnvelope" || entries.length === 0) return entity;
  if (!entries.every((e) => e.kindVersion.kind === "hashedrekord" && e.kindVersion.version === "0.0.2"))
    return entity;
  const envelope = bundle.content.dsseEnvelope;
  const paeDigest = createHash("sha256").update(pae(envelope.payloadType, envelope.payload)).digest();
  const inner = entity.signature;
  return {
    ...entity,
    signature: {
      signature: inner.signature,
      compareSignature: (signature) => inner.compareSignature(signature),
      compareDigest: (digest) => digest.length === paeDigest.length && timingSafeEqual(digest, paeDigest),
      verifySignature: (key) => inner.verifySignature(key),
    },
  };
}

function tlogFacts(entry: TransparencyLogEntry, trustedRoot: LoadedTrustedRoot): VerifiedTlogEntry {
  const proofs: VerifiedTlogEntry["proofs"] = [];
  if (entry.inclusionPromise !== undefined) proofs.push("signed-entry-timestamp");
  if (entry.inclusionProof !== undefined) proofs.push("inclusion-proof");
  const seconds = Number(entry.integratedTime);
  return {
    logIndex: Number(entry.logIndex),
    logId: Buffer.from(entry.logId.keyId).toString("base64"),
    log: tlogBaseUrl(trustedRoot.root, entry.logId.keyId),
    kind: entry.kindVersion.kind,
    version: entry.kindVersion.version,
    ...(seconds > 0 ? { integratedTime: new Date(seconds * 1000).toISOString() } : {}),
    proofs,
  };
}

// The times the library verified the signer at: log times backed by a SET, and RFC 3161 timestamps
function timestampFacts(entity: SignedEntity): SigstoreVerification["timestamps"] {
  return entity.timestamps.flatMap((t): SigstoreVerification["timestamps"] => {
    if (t.$case === "timestamp-authority") {
      return [{ source: "timestamp-authority" as const, time: t.timestamp.signingTime.toISOString() }];
    }
    if (t.tlogEntry.inclusionPromise === undefined) return [];
    return [
      {
        source: "transparency-log" as const,
        time: new Date(Number(t.tlogEntry.integratedTime) * 1000).toISOString(),
      },
    ];
  });
}
