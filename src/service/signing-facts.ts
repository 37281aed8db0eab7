import type { RegistryClient } from "../image/registry/registry-client.js";
import type { ImageRef, SignatureEntryFact, SigningFacts } from "../model/index.js";
import type { BundleKey } from "../policy/signing-keys.js";
import type { TrustedKey } from "../sign/cosign-signature.js";
import { keyFingerprint, loadPublicKey } from "../sign/keys/index.js";
import {
  type CheckedAttestation,
  type CheckedSignature,
  verifyImageAttestations,
  verifyImageSignatures,
} from "./verify-image.js";

/**
 * The keys to verify with: the configured ones, then the PEM keys bundles carry, one per fingerprint
 * (the first name wins), each with its fingerprint so rules can name keys either way.
 */
export function signingKeySet(
  configured: readonly TrustedKey[],
  bundleKeys: readonly BundleKey[],
): { keys: TrustedKey[]; facts: SigningFacts["keys"] } {
  const keys: TrustedKey[] = [];
  const facts: SigningFacts["keys"] = [];
  const seen = new Map<string, string>();
  const add = (key: TrustedKey) => {
    const fingerprint = keyFingerprint(key.key);
    facts.push({ name: key.name, fingerprint });
    if (seen.has(fingerprint)) return;
    seen.set(fingerprint, key.name);
    keys.push(key);
  };
  for (const key of configured) add(key);
  for (const key of bundleKeys) add({ name: key.name, key: loadPublicKey(key.pem, key.name) });
  return { keys, facts };
}

/** One verified layer as the policy reads it: the key named by fingerprint, annotations as strings. */
function entryFact(
  checked: CheckedSignature | CheckedAttestation,
  fingerprints: ReadonlyMap<string, string>,
): SignatureEntryFact {
  const fingerprint = checked.keyName === undefined ? undefined : fingerprints.get(checked.keyName);
  const entry: SignatureEntryFact = { layer: checked.layer, valid: checked.valid };
  if (checked.valid && fingerprint !== undefined) entry.keyFingerprint = fingerprint;
  if (checked.reason !== undefined) entry.reason = checked.reason;
  if (!checked.valid) entry.refusal = checked.refusal ?? "invalid";
  if ("annotations" in checked && checked.annotations !== undefined) {
    entry.annotations = Object.fromEntries(
      Object.entries(checked.annotations).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]),
    );
  }
  if ("predicateType" in checked && checked.predicateType !== undefined) {
    entry.predicateType = checked.predicateType;
  }
  if ("summary" in checked && checked.summary !== undefined) {
    const s = checked.summary;
    entry.summary = {
      passed: s.passed,
      policyDigest: s.policyDigest,
      time: s.time,
      ...(s.policyName !== undefined ? { policyName: s.policyName } : {}),
    };
  }
  return entry;
}

/**
 * Reads and verifies the image's cosign signatures and attestations against the keys, into the facts the
 * `signature` and `attestation` gates read. Throws only when the registry cannot be read at all.
 */
export async function readSigningFacts(
  ref: ImageRef,
  options: {
    client: RegistryClient;
    keys: readonly TrustedKey[];
    keyFacts: SigningFacts["keys"];
    digest?: string;
  },
): Promise<SigningFacts> {
  const signatures = await verifyImageSignatures(
    options.digest === undefined ? ref : { ...ref, digest: options.digest },
    { client: options.client, keys: options.keys },
  );
  const attestations = await verifyImageAttestations(ref, {
    client: options.client,
    keys: options.keys,
    digest: signatures.digest,
  });
  const fingerprints = new Map(options.keys.map((k) => [k.name, keyFingerprint(k.key)]));
  const problems = [...signatures.problems, ...attestations.problems].map((p) => p.message);
  return {
    keys: options.keyFacts,
    signatures: signatures.signatures.map((s) => entryFact(s, fingerprints)),
    attestations: attestations.attestations.map((a) => entryFact(a, fingerprints)),
    ...(problems.length > 0 ? { problems } : {}),
  };
}
