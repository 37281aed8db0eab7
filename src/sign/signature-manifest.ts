import type { Problem } from "../model/index.js";
import {
  clip,
  decodeBase64Strict,
  decodeUtf8Strict,
  isJsonObject,
  SHA256_DIGEST,
  sha256Digest,
} from "./encoding.js";
import { SIGN_ERROR_CODE, signError } from "./sign-error.js";
import { SIMPLE_SIGNING_MEDIA_TYPE } from "./simple-signing.js";

/** Layer annotation holding the base64 ASN.1 DER signature of the layer's payload. */
export const SIGNATURE_ANNOTATION = "dev.cosignproject.cosign/signature";
/** Keyless signatures: the PEM signing certificate, its chain, and the Rekor bundle (SET). */
export const CERTIFICATE_ANNOTATION = "dev.sigstore.cosign/certificate";
export const CHAIN_ANNOTATION = "dev.sigstore.cosign/chain";
export const BUNDLE_ANNOTATION = "dev.sigstore.cosign/bundle";
/** Media type of an `.att` layer: a DSSE envelope (cosign attest). */
export const DSSE_MEDIA_TYPE = "application/vnd.dsse.envelope.v1+json";
/** `.att` layer annotation naming the statement's predicate type. */
export const PREDICATE_TYPE_ANNOTATION = "predicateType";

/** Manifest and config media types cosign writes (OCI by default, Docker's with COSIGN_DOCKER_MEDIA_TYPES=1). */
const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
const OCI_CONFIG = "application/vnd.oci.image.config.v1+json";
const DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
const DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json";
const CONFIG_FOR: Record<string, string> = { [OCI_MANIFEST]: OCI_CONFIG, [DOCKER_MANIFEST]: DOCKER_CONFIG };

/** Largest `.sig`/`.att` manifest read: Distribution's own manifest limit. */
export const MAX_ATTACHMENT_MANIFEST_BYTES = 4 * 1024 * 1024;
/** Most layers read from one attachment manifest: each costs a blob fetch and a verification per key. */
export const MAX_ATTACHMENT_LAYERS = 1000;
/** Largest layer blob worth fetching: signature payloads (simple signing) and envelopes (attestations). */
export const MAX_SIGNATURE_PAYLOAD_BYTES = 256 * 1024;
export const MAX_ATTESTATION_BYTES = 16 * 1024 * 1024;

/** A layer descriptor of an attachment manifest (field order as cosign's Go structs write it). */
export interface AttachmentDescriptor {
  mediaType: string;
  size: number;
  digest: string;
  annotations?: Record<string, string>;
}

/** One signature layer of a `.sig` manifest, well formed (not yet verified). */
export interface SignatureEntry {
  /** Position in `layers`. */
  index: number;
  mediaType: string;
  /** Digest and size of the payload blob to fetch. */
  digest: string;
  size: number;
  /** The `dev.cosignproject.cosign/signature` annotation. */
  signatureB64: string;
  /** Every annotation of the layer. */
  annotations: Record<string, string>;
  /** Present on keyless signatures (PEM). */
  certificate?: string;
  chain?: string;
  /** The Rekor bundle annotation (JSON text), when the signer logged it. */
  rekorBundle?: string;
}

/** One attestation layer of an `.att` manifest, well formed (not yet verified). */
export interface AttestationEntry {
  index: number;
  digest: string;
  size: number;
  /** The `predicateType` annotation: a hint only; the signed statement says what counts. */
  predicateType?: string;
  annotations: Record<string, string>;
}

/** A parsed attachment manifest: the usable layers and one problem per layer that is not. */
export interface ParsedAttachments<T> {
  entries: T[];
  /** Layers skipped, each with why (`path` is `layers[i]`); parsing never stops at a bad layer. */
  problems: Problem[];
}

/** A layer to add to a `.sig` manifest. */
export interface NewSignatureLayer {
  /** The exact payload bytes that were signed (they become the layer blob). */
  payload: Uint8Array;
  /** Base64 signature of the payload (the signature annotation; empty for attestations). */
  signatureB64: string;
  /** Default: the simple-signing media type; {@link DSSE_MEDIA_TYPE} for attestations. */
  mediaType?: string;
  /** More layer annotations (certificate, Rekor bundle, predicateType). */
  annotations?: Record<string, string>;
}

/** A blob to push before the manifest that refers to it. */
export interface BlobToPush {
  digest: string;
  mediaType: string;
  bytes: Buffer;
}

/** A `.sig`/`.att` manifest ready to push: the blobs first, then the manifest under the tag. */
export interface AttachmentManifestBuild {
  manifest: Buffer;
  manifestDigest: string;
  manifestMediaType: string;
  /** The config blob (cosign's: an empty image config listing the layers as diff_ids). */
  config: BlobToPush;
  /** Every blob the manifest needs: new payloads and the config (a registry skips those it has). */
  blobs: BlobToPush[];
  /** False when an identical layer was already there: the tag already holds this signature, nothing to push. */
  added: boolean;
  /** Layers of the existing manifest that were not valid descriptors and were left out (one problem each). */
  dropped: Problem[];
}

/** Tag cosign stores an image's signatures under: `sha256-<hex>.sig`. */
export function signatureTag(manifestDigest: string): string {
  return attachmentTag(manifestDigest, "sig");
}

/** Tag cosign stores an image's attestations under: `sha256-<hex>.att`. */
export function attestationTag(manifestDigest: string): string {
  return attachmentTag(manifestDigest, "att");
}

function attachmentTag(manifestDigest: string, suffix: string): string {
  if (!SHA256_DIGEST.test(manifestDigest)) {
    throw signError(
      `Cannot name the .${suffix} tag: ${JSON.stringify(clip(manifestDigest))} is not a sha256 manifest digest`,
    );
  }
  return `${manifestDigest.replace(":", "-")}.${suffix}`;
}

/**
 * The config blob cosign writes for a signature image (go-containerregistry appending layers to an empty
 * image): Go's field order, zero times, one history entry and one diff_id per layer. Byte for byte what
 * cosign pushes, so a re-signed tag has the config cosign would have written.
 */
export function attachmentConfig(layerDigests: readonly string[]): Buffer {
  const zero = "0001-01-01T00:00:00Z";
  const config = {
    architecture: "",
    created: zero,
    history: layerDigests.map(() => ({ created: zero })),
    os: "",
    rootfs: { type: "layers", diff_ids: layerDigests },
    config: {},
  };
  return Buffer.from(JSON.stringify(config), "utf8");
}

/** Builds a new `.sig` (or `.att`) manifest holding the given layers, in order, identical ones once. */
export function buildSignatureManifest(layers: readonly NewSignatureLayer[]): AttachmentManifestBuild {
  let build: AttachmentManifestBuild | undefined;
  for (const layer of layers)
    build = appendSignatureLayer(build?.manifest, layer, "the manifest being built");
  if (build === undefined) throw signError("Cannot build a signature manifest: no layers given");
  return build;
}

/**
 * Appends a signature layer to the manifest found under the `.sig` (or `.att`) tag, or starts one when there
 * is none. Existing layers are kept as they are, whoever wrote them; a layer with the same media type,
 * payload and annotations is not added twice (as containers/image does). Existing entries that are not
 * valid descriptors are left out and reported in `dropped`, since a registry refuses a manifest naming
 * blobs that do not exist. Throws when the existing document is not an image manifest at all.
 */
export function appendSignatureLayer(
  existing: Uint8Array | undefined,
  layer: NewSignatureLayer,
  where = "the existing signature manifest",
): AttachmentManifestBuild {
  const payload = Buffer.from(layer.payload);
  const mediaType = layer.mediaType ?? SIMPLE_SIGNING_MEDIA_TYPE;
  const annotations: Record<string, string> = {
    ...layer.annotations,
    [SIGNATURE_ANNOTATION]: layer.signatureB64,
  };
  if (layer.signatureB64 !== "" && decodeBase64Strict(layer.signatureB64) === undefined) {
    throw signError(`Cannot add a signature layer: the signature is not base64 (${where})`);
  }
  const descriptor: AttachmentDescriptor = {
    mediaType,
    size: payload.length,
    digest: sha256Digest(payload),
    annotations: sortedObject(annotations),
  };

  const base = existing === undefined ? undefined : readManifestObject(existing, where, "add a signature");
  const kept: unknown[] = [];
  const dropped: Problem[] = [];
  ((base?.layers as unknown[] | undefined) ?? []).forEach((raw, index) => {
    const bad = descriptorProblem(raw);
    if (bad === undefined) kept.push(raw);
    else dropped.push(layerProblem(index, `${bad}; left out of the new manifest`, where, "warning"));
  });
  const duplicate = kept.some((raw) => sameLayer(raw as AttachmentDescriptor, descriptor));
  const layers = duplicate ? kept : [...kept, descriptor];

  const manifestMediaType =
    typeof base?.mediaType === "string" && isManifestType(base.mediaType) ? base.mediaType : OCI_MANIFEST;
  const configBytes = attachmentConfig(layers.map((l) => (l as AttachmentDescriptor).digest));
  const config: BlobToPush = {
    digest: sha256Digest(configBytes),
    mediaType: CONFIG_FOR[manifestMediaType] ?? OCI_CONFIG,
    bytes: configBytes,
  };
  const { schemaVersion: _v, mediaType: _m, config: _c, layers: _l, ...rest } = base ?? {};
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: manifestMediaType,
      config: { mediaType: config.mediaType, size: configBytes.length, digest: config.digest },
      layers,
      ...rest,
    }),
    "utf8",
  );
  const blobs = duplicate ? [config] : [{ digest: descriptor.digest, mediaType, bytes: payload }, config];
  return {
    manifest,
    manifestDigest: sha256Digest(manifest),
    manifestMediaType,
    config,
    blobs,
    added: !duplicate,
    dropped,
  };
}

/**
 * Reads a `.sig` manifest into its signature layers. A layer that is not one (another media type, no or
 * a malformed signature annotation, a bad digest or size) is skipped with a problem saying why; only a
 * document that is not an image manifest at all throws. `where` names the manifest (`sha256-….sig of repo`).
 */
export function parseSignatureManifest(bytes: Uint8Array, where: string): ParsedAttachments<SignatureEntry> {
  const manifest = readManifestObject(bytes, where, "read the signatures");
  const entries: SignatureEntry[] = [];
  const problems: Problem[] = [];
  for (const [index, raw] of (manifest.layers as unknown[]).entries()) {
    const bad =
      descriptorProblem(raw) ?? sizeProblem(raw as AttachmentDescriptor, MAX_SIGNATURE_PAYLOAD_BYTES);
    const layer = raw as AttachmentDescriptor;
    const annotations = layer.annotations ?? {};
    const signature = annotations[SIGNATURE_ANNOTATION];
    const problem =
      bad ??
      (layer.mediaType !== SIMPLE_SIGNING_MEDIA_TYPE
        ? `media type ${JSON.stringify(clip(layer.mediaType))} is not a cosign signature`
        : signature === undefined || signature === ""
          ? `no ${SIGNATURE_ANNOTATION} annotation`
          : decodeBase64Strict(signature) === undefined
            ? `${SIGNATURE_ANNOTATION} is not base64`
            : undefined);
    if (problem !== undefined || signature === undefined) {
      problems.push(layerProblem(index, problem ?? "no signature", where));
      continue;
    }
    const entry: SignatureEntry = {
      index,
      mediaType: layer.mediaType,
      digest: layer.digest,
      size: layer.size,
      signatureB64: signature,
      annotations,
    };
    const certificate = annotations[CERTIFICATE_ANNOTATION];
    const chain = annotations[CHAIN_ANNOTATION];
    const rekorBundle = annotations[BUNDLE_ANNOTATION];
    if (certificate !== undefined) entry.certificate = certificate;
    if (chain !== undefined) entry.chain = chain;
    if (rekorBundle !== undefined) entry.rekorBundle = rekorBundle;
    entries.push(entry);
  }
  return { entries, problems };
}

/**
 * Reads an `.att` manifest into its DSSE envelope layers, as {@link parseSignatureManifest} does for
 * signatures: bad layers are reported and skipped.
 */
export function parseAttestationManifest(
  bytes: Uint8Array,
  where: string,
): ParsedAttachments<AttestationEntry> {
  const manifest = readManifestObject(bytes, where, "read the attestations");
  const entries: AttestationEntry[] = [];
  const problems: Problem[] = [];
  for (const [index, raw] of (manifest.layers as unknown[]).entries()) {
    const bad = descriptorProblem(raw) ?? sizeProblem(raw as AttachmentDescriptor, MAX_ATTESTATION_BYTES);
    const layer = raw as AttachmentDescriptor;
    const problem =
      bad ??
      (layer.mediaType !== DSSE_MEDIA_TYPE
        ? `media type ${JSON.stringify(clip(layer.mediaType))} is not a DSSE envelope`
        : undefined);
    if (problem !== undefined) {
      problems.push(layerProblem(index, problem, where));
      continue;
    }
    const annotations = layer.annotations ?? {};
    const entry: AttestationEntry = { index, digest: layer.digest, size: layer.size, annotations };
    const predicateType = annotations[PREDICATE_TYPE_ANNOTATION];
    if (predicateType !== undefined) entry.predicateType = predicateType;
    entries.push(entry);
  }
  return { entries, problems };
}

/** Parses the manifest document and checks what every attachment manifest must be; throws otherwise. */
function readManifestObject(bytes: Uint8Array, where: string, doing: string): Record<string, unknown> {
  const fail = (what: string): never => {
    throw signError(
      `Cannot ${doing}: ${what} (${where})`,
      "the tag holds something cosign did not write; remove it or push a valid signature manifest",
    );
  };
  if (bytes.length > MAX_ATTACHMENT_MANIFEST_BYTES) {
    fail(`the manifest is ${bytes.length} bytes, over the ${MAX_ATTACHMENT_MANIFEST_BYTES}-byte limit`);
  }
  const text = decodeUtf8Strict(bytes) ?? fail("the manifest is not UTF-8 text");
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    fail(`the manifest is not JSON (${(error as Error).message})`);
  }
  if (!isJsonObject(document)) return fail("the manifest is not a JSON object");
  if (document.schemaVersion !== 2) fail(`schemaVersion is ${JSON.stringify(document.schemaVersion)}, not 2`);
  if (
    document.mediaType !== undefined &&
    !(typeof document.mediaType === "string" && isManifestType(document.mediaType))
  ) {
    fail(`media type ${JSON.stringify(document.mediaType)} is not an OCI or Docker image manifest`);
  }
  if (!Array.isArray(document.layers)) fail("the manifest has no `layers` list");
  if ((document.layers as unknown[]).length > MAX_ATTACHMENT_LAYERS) {
    fail(`${(document.layers as unknown[]).length} layers, over the limit of ${MAX_ATTACHMENT_LAYERS}`);
  }
  return document;
}

/** An image manifest media type cosign may write (own keys only: `toString` is not a media type). */
function isManifestType(mediaType: string): boolean {
  return Object.hasOwn(CONFIG_FOR, mediaType);
}

/** Why a `layers` entry is not a usable descriptor (sha256 digest, size, string annotations), if it is not. */
function descriptorProblem(raw: unknown): string | undefined {
  if (!isJsonObject(raw)) return "not a descriptor object";
  if (typeof raw.mediaType !== "string" || raw.mediaType === "") return "no media type";
  if (typeof raw.digest !== "string") return "no digest";
  if (!SHA256_DIGEST.test(raw.digest))
    return `digest ${JSON.stringify(clip(raw.digest))} is not sha256:<64 hex>`;
  if (typeof raw.size !== "number" || !Number.isSafeInteger(raw.size) || raw.size < 0) {
    return `size ${JSON.stringify(raw.size)} is not a byte count`;
  }
  if (raw.annotations !== undefined) {
    if (!isJsonObject(raw.annotations)) return "annotations are not an object";
    const odd = Object.entries(raw.annotations).find(([, v]) => typeof v !== "string");
    if (odd !== undefined) return `annotation ${JSON.stringify(clip(odd[0]))} is not a string`;
  }
  return undefined;
}

function sizeProblem(layer: AttachmentDescriptor, max: number): string | undefined {
  return layer.size > max ? `${layer.size} bytes, over the ${max}-byte limit for this layer kind` : undefined;
}

function layerProblem(
  index: number,
  message: string,
  where: string,
  level: Problem["level"] = "warning",
): Problem {
  return {
    level,
    code: SIGN_ERROR_CODE,
    message: `layer ${index}: ${message} (${where})`,
    path: `layers[${index}]`,
  };
}

/** Same media type, payload and annotations: the test containers/image uses before appending. */
function sameLayer(a: AttachmentDescriptor, b: AttachmentDescriptor): boolean {
  if (a.mediaType !== b.mediaType || a.digest !== b.digest || a.size !== b.size) return false;
  const left = Object.entries(a.annotations ?? {});
  const right = b.annotations ?? {};
  return left.length === Object.keys(right).length && left.every(([k, v]) => right[k] === v);
}

function sortedObject(record: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
