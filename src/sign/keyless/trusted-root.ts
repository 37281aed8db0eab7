import { TrustedRoot } from "@sigstore/protobuf-specs";
import { type TrustMaterial, toTrustMaterial } from "@sigstore/verify";
import { readBoundedSync } from "../../io/bounded-read.js";
import { CipError } from "../../model/index.js";
import { clip, parseJsonObjectBytes } from "../encoding.js";
import { KeylessError } from "./keyless-error.js";

/** Largest trusted root read: production's is under 10 KiB. */
export const MAX_TRUSTED_ROOT_BYTES = 1024 * 1024;
/** Most logs, CT logs, certificate authorities and timestamp authorities taken from one trusted root. */
export const MAX_TRUST_ENTRIES = 64;

/** The media types of a TrustedRoot in JSON: the current one, its v0.1 form and the old one production still uses. */
export const TRUSTED_ROOT_MEDIA_TYPES = [
  "application/vnd.dev.sigstore.trustedroot.v0.2+json",
  "application/vnd.dev.sigstore.trustedroot.v0.1+json",
  "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
] as const;

/**
 * A trusted root, read once and used for many verifications: the document, the keys and certificates it
 * holds (parsed, so a damaged one is refused at load, not at first use), and where it came from.
 */
export interface LoadedTrustedRoot {
  root: TrustedRoot;
  material: TrustMaterial;
  /** The file (or other source) as messages name it. */
  where: string;
}

/**
 * Parses a Sigstore TrustedRoot (`trusted_root.json`, as Sigstore's TUF repository distributes it, or a
 * private instance's). CIP_PARSE when it is not a JSON object; a KeylessError (check `trusted-root`) when
 * it is not a trusted root or a key or certificate in it cannot be read.
 */
export function parseTrustedRoot(bytes: Uint8Array, where: string): LoadedTrustedRoot {
  const document = parseJsonObjectBytes(bytes, (what) => {
    throw new CipError("CIP_PARSE", `Cannot read the trusted root: it is ${what} (${where})`, {
      hint: "Give a Sigstore trusted_root.json.",
    });
  });
  const mediaType = document.mediaType;
  if (typeof mediaType !== "string" || !(TRUSTED_ROOT_MEDIA_TYPES as readonly string[]).includes(mediaType)) {
    throw invalid(`its mediaType is ${JSON.stringify(clip(String(mediaType)))}, not a TrustedRoot's`, where);
  }
  let root: TrustedRoot;
  try {
    root = TrustedRoot.fromJSON(document);
  } catch (error) {
    throw invalid(`a field has the wrong type (${clip((error as Error).message)})`, where, error);
  }
  checkShape(root, where);
  let material: TrustMaterial;
  try {
    material = toTrustMaterial(root);
  } catch (error) {
    throw invalid(
      `a key or certificate in it cannot be read (${clip((error as Error).message)})`,
      where,
      error,
    );
  }
  return { root, material, where };
}

/** Reads and parses a trusted root file of at most {@link MAX_TRUSTED_ROOT_BYTES}. */
export function readTrustedRoot(path: string): LoadedTrustedRoot {
  const bytes = readBoundedSync(path, {
    maxBytes: MAX_TRUSTED_ROOT_BYTES,
    what: `trusted root ${path}`,
    limitName: "trusted root",
    limitHint: "A trusted_root.json is a few KiB; check that this is the trusted root.",
  });
  return parseTrustedRoot(bytes, path);
}

/**
 * The base URL of the transparency log of the trusted root whose log id (or checkpoint key id, Rekor v2)
 * is `keyId`; undefined when none is.
 */
export function tlogBaseUrl(root: TrustedRoot, keyId: Uint8Array): string | undefined {
  const id = Buffer.from(keyId);
  const log = root.tlogs.find(
    (t) =>
      (t.logId !== undefined && id.equals(t.logId.keyId)) ||
      (t.checkpointKeyId !== undefined && id.equals(t.checkpointKeyId.keyId)),
  );
  return log?.baseUrl;
}

// Fields toTrustMaterial reads without checking (it would fail with a TypeError), and counts it loops over
function checkShape(root: TrustedRoot, where: string): void {
  const lists = [
    ["tlogs", root.tlogs],
    ["ctlogs", root.ctlogs],
    ["certificateAuthorities", root.certificateAuthorities],
    ["timestampAuthorities", root.timestampAuthorities],
  ] as const;
  for (const [name, list] of lists) {
    if (list.length > MAX_TRUST_ENTRIES)
      throw invalid(`it has ${list.length} ${name}, over ${MAX_TRUST_ENTRIES}`, where);
  }
  for (const [name, logs] of [
    ["tlogs", root.tlogs],
    ["ctlogs", root.ctlogs],
  ] as const) {
    logs.forEach((log, i) => {
      if (log.publicKey?.rawBytes === undefined || log.publicKey.rawBytes.length === 0) {
        throw invalid(`${name}[${i}] has no public key`, where);
      }
      if (log.logId === undefined && log.checkpointKeyId === undefined) {
        throw invalid(`${name}[${i}] has no logId`, where);
      }
    });
  }
  for (const [name, authorities] of [
    ["certificateAuthorities", root.certificateAuthorities],
    ["timestampAuthorities", root.timestampAuthorities],
  ] as const) {
    authorities.forEach((authority, i) => {
      const count = authority.certChain?.certificates.length ?? 0;
      if (count === 0) throw invalid(`${name}[${i}] has no certificate chain`, where);
      if (count > MAX_TRUST_ENTRIES)
        throw invalid(`${name}[${i}] has ${count} certificates, over ${MAX_TRUST_ENTRIES}`, where);
    });
  }
  if (root.tlogs.length === 0) throw invalid("it names no transparency log", where);
}

function invalid(what: string, where: string, cause?: unknown): KeylessError {
  return new KeylessError("trusted-root", `Cannot read the trusted root: ${what} (${where})`, {
    code: "CIP_TRUST_ROOT_INVALID",
    hint: "Give a Sigstore trusted_root.json: production's comes from Sigstore's TUF repository (https://tuf-repo-cdn.sigstore.dev, target trusted_root.json).",
    ...(cause === undefined ? {} : { cause }),
  });
}
