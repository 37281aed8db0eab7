import { type Bundle, bundleFromJSON, ValidationError } from "@sigstore/bundle";
import { readBoundedSync } from "../../io/bounded-read.js";
import { CipError } from "../../model/index.js";
import { clip, parseJsonObjectBytes } from "../encoding.js";
import { KeylessError } from "./keyless-error.js";

/** Largest bundle read: a bundle is a few KiB, but a DSSE one carries its whole attestation (an SBOM, say). */
export const MAX_BUNDLE_BYTES = 32 * 1024 * 1024;
/** Most transparency-log entries and RFC 3161 timestamps taken from one bundle: each is verified in turn. */
export const MAX_BUNDLE_ENTRIES = 32;

/**
 * Parses a Sigstore bundle (JSON, media types v0.1 to v0.3) from its bytes: CIP_PARSE when it is not a JSON
 * object, a KeylessError (check `bundle`) naming the missing or invalid fields when it is not a bundle.
 * `where` names the file in messages.
 */
export function parseSigstoreBundle(bytes: Uint8Array, where: string): Bundle {
  const document = parseJsonObjectBytes(bytes, (what) => {
    throw new CipError("CIP_PARSE", `Cannot read the Sigstore bundle: it is ${what} (${where})`, {
      hint: "Give the bundle file that cosign sign-blob --bundle, cosign attest or sigstore sign wrote.",
    });
  });
  if (
    typeof document.mediaType !== "string" ||
    !document.mediaType.startsWith("application/vnd.dev.sigstore.bundle")
  ) {
    throw notABundle(
      `its mediaType is ${JSON.stringify(clip(String(document.mediaType)))}, not a Sigstore bundle's`,
      where,
    );
  }
  let bundle: Bundle;
  try {
    bundle = bundleFromJSON(document);
  } catch (error) {
    if (error instanceof ValidationError) {
      throw notABundle(`it lacks or has invalid ${error.fields.slice(0, 5).join(", ")}`, where, error);
    }
    // protobuf-specs throws plain errors for values of the wrong type (a number where base64 belongs…)
    throw notABundle(`a field has the wrong type (${clip((error as Error).message)})`, where, error);
  }
  checkShape(bundle, where);
  return bundle;
}

/** Reads and parses a bundle file of at most {@link MAX_BUNDLE_BYTES}. */
export function readSigstoreBundle(path: string): Bundle {
  const bytes = readBoundedSync(path, {
    maxBytes: MAX_BUNDLE_BYTES,
    what: `Sigstore bundle ${path}`,
    limitName: "bundle",
    limitHint:
      "A Sigstore bundle is a few KiB (a DSSE one holds its attestation); check that this is the bundle.",
  });
  return parseSigstoreBundle(bytes, path);
}

// Checks @sigstore/verify would otherwise trip over with a TypeError, or spend time on without bound
function checkShape(bundle: Bundle, where: string): void {
  const material = bundle.verificationMaterial;
  if (material.tlogEntries.length > MAX_BUNDLE_ENTRIES) {
    throw notABundle(
      `it has ${material.tlogEntries.length} transparency-log entries, over ${MAX_BUNDLE_ENTRIES}`,
      where,
    );
  }
  const timestamps = material.timestampVerificationData?.rfc3161Timestamps ?? [];
  if (timestamps.length > MAX_BUNDLE_ENTRIES) {
    throw notABundle(`it has ${timestamps.length} RFC 3161 timestamps, over ${MAX_BUNDLE_ENTRIES}`, where);
  }
  material.tlogEntries.forEach((entry, i) => {
    if (entry.inclusionProof !== undefined && entry.inclusionProof.checkpoint === undefined) {
      throw notABundle(`tlogEntries[${i}] has an inclusion proof without its checkpoint`, where);
    }
    if (entry.canonicalizedBody.length === 0) {
      throw notABundle(`tlogEntries[${i}] has no canonicalizedBody`, where);
    }
  });
}

function notABundle(what: string, where: string, cause?: unknown): KeylessError {
  return new KeylessError("bundle", `Cannot read the Sigstore bundle: ${what} (${where})`, {
    hint: "The file is damaged, or not a Sigstore bundle (cosign's legacy .sig/.cert files are not bundles).",
    ...(cause === undefined ? {} : { cause }),
  });
}
