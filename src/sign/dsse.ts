import type { KeyObject } from "node:crypto";
import { isCipError } from "../model/index.js";
import { clip, decodeBase64Strict, isJsonObject, parseJsonObjectBytes } from "./encoding.js";
import { IN_TOTO_PAYLOAD_TYPE, parseStatement, type Statement } from "./in-toto.js";
import { signBytes, verifyBytes } from "./key-algorithm.js";
import { signError } from "./sign-error.js";

/** Largest envelope read (its payload is base64 of a statement up to the statement limit). */
export const MAX_ENVELOPE_BYTES = 24 * 1024 * 1024;
/** Most signatures read from one envelope: each is tried against every key. */
export const MAX_ENVELOPE_SIGNATURES = 64;

/** One DSSE signature: base64 `sig`, and an optional, unauthenticated `keyid` hint. */
export interface DsseSignature {
  keyid?: string;
  sig: string;
}

/** A DSSE envelope (JSON form). */
export interface DsseEnvelope {
  payloadType: string;
  /** Base64 of the payload bytes. */
  payload: string;
  signatures: DsseSignature[];
}

/** A key that may verify envelopes; with `keyid`, only signatures claiming that key id are tried with it. */
export interface DsseKey {
  name: string;
  key: KeyObject;
  keyid?: string;
}

/** The outcome of verifying an envelope. `statement` is there when the payload type is in-toto's. */
export type DsseVerdict =
  | { ok: true; keyName: string; payloadType: string; body: Buffer; statement?: Statement }
  /** `untrusted`: no known key verifies any signature (another signer, or a tampered payload: DSSE cannot tell). */
  | { ok: false; reason: string; untrusted?: true };

/**
 * DSSE's pre-authentication encoding, the bytes actually signed:
 * `DSSEv1 <len(type)> <type> <len(body)> <body>`, lengths in bytes as ASCII decimal.
 */
export function pae(payloadType: string, body: Uint8Array): Buffer {
  const type = Buffer.from(payloadType, "utf8");
  return Buffer.concat([
    Buffer.from(`DSSEv1 ${type.length} `, "utf8"),
    type,
    Buffer.from(` ${body.length} `, "utf8"),
    body,
  ]);
}

/** Signs a payload into a DSSE envelope (ECDSA signature over the PAE, DER, base64), as cosign attest does. */
export function signDsse(
  payloadType: string,
  body: Uint8Array,
  privateKey: KeyObject,
  keyid?: string,
): DsseEnvelope {
  const sig = signBytes(pae(payloadType, body), privateKey, "the DSSE envelope").toString("base64");
  return {
    payloadType,
    payload: Buffer.from(body).toString("base64"),
    signatures: [keyid === undefined ? { sig } : { keyid, sig }],
  };
}

/** The envelope as the bytes of an `.att` layer. */
export function envelopeBytes(envelope: DsseEnvelope): Buffer {
  return Buffer.from(JSON.stringify(envelope), "utf8");
}

/** Parses an envelope from layer bytes (one JSON object); throws with what is wrong. */
export function parseDsseEnvelope(bytes: Uint8Array, where: string): DsseEnvelope {
  const fail = (what: string): never => {
    throw signError(`Cannot read the DSSE envelope: ${what} (${where})`);
  };
  if (bytes.length > MAX_ENVELOPE_BYTES)
    fail(`${bytes.length} bytes, over the ${MAX_ENVELOPE_BYTES}-byte limit`);
  const document = parseJsonObjectBytes(bytes, fail);
  if (typeof document.payloadType !== "string" || document.payloadType === "") fail("no payloadType");
  if (typeof document.payload !== "string") fail("no payload");
  if (decodeBase64Strict(document.payload as string) === undefined) fail("the payload is not base64");
  const signatures = document.signatures;
  if (!Array.isArray(signatures) || signatures.length === 0) return fail("no signatures");
  if (signatures.length > MAX_ENVELOPE_SIGNATURES) {
    fail(`${signatures.length} signatures, over the limit of ${MAX_ENVELOPE_SIGNATURES}`);
  }
  const read = signatures.map((s, i): DsseSignature => {
    if (!isJsonObject(s) || typeof s.sig !== "string") return fail(`signatures[${i}] has no sig`);
    if (s.keyid !== undefined && typeof s.keyid !== "string")
      return fail(`signatures[${i}].keyid is not a string`);
    return s.keyid === undefined ? { sig: s.sig } : { keyid: s.keyid, sig: s.sig };
  });
  return {
    payloadType: document.payloadType as string,
    payload: document.payload as string,
    signatures: read,
  };
}

/**
 * Verifies an envelope: one of its signatures must verify over the PAE with one of the keys (DER or raw
 * r‖s ECDSA). When the payload type is in-toto's, the payload must also be a statement, returned parsed.
 * Never throws for bad input: a refusal says why.
 */
export function verifyDsse(
  envelope: DsseEnvelope,
  keys: readonly DsseKey[],
  where = "DSSE envelope",
): DsseVerdict {
  const body = decodeBase64Strict(envelope.payload);
  if (body === undefined) return { ok: false, reason: `the envelope payload is not base64 (${where})` };
  if (keys.length === 0)
    return { ok: false, reason: `no trusted keys to verify the envelope with (${where})`, untrusted: true };
  const signed = pae(envelope.payloadType, body);
  let signer: DsseKey | undefined;
  for (const signature of envelope.signatures) {
    const sig = decodeBase64Strict(signature.sig);
    if (sig === undefined || sig.length === 0) continue;
    // A key bound to a key id only answers for signatures claiming it (slsa-verifier does the same).
    signer = keys.find(
      (k) => (k.keyid === undefined || k.keyid === signature.keyid) && verifyBytes(signed, sig, k.key, true),
    );
    if (signer !== undefined) break;
  }
  if (signer === undefined) {
    const ids = envelope.signatures.map((s) =>
      s.keyid === undefined ? "no key id" : `key id ${clip(s.keyid)}`,
    );
    return {
      ok: false,
      reason: `no envelope signature (${ids.join(", ")}) verifies with any trusted key (${keys.map((k) => k.name).join(", ")}) (${where})`,
      untrusted: true,
    };
  }
  if (envelope.payloadType !== IN_TOTO_PAYLOAD_TYPE) {
    return { ok: true, keyName: signer.name, payloadType: envelope.payloadType, body };
  }
  try {
    const statement = parseStatement(body, where);
    return { ok: true, keyName: signer.name, payloadType: envelope.payloadType, body, statement };
  } catch (error) {
    if (!isCipError(error)) throw error;
    return { ok: false, reason: `signed by ${signer.name}, but ${error.message}` };
  }
}
