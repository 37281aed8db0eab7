import { CipError } from "../model/index.js";
import type { LayerDescriptor } from "./resolved-image.js";

/** Media types of manifests, indexes and configs (Docker registry API, OCI image spec). */
export const MEDIA_TYPES = {
  dockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
  dockerManifestList: "application/vnd.docker.distribution.manifest.list.v2+json",
  dockerSchema1: "application/vnd.docker.distribution.manifest.v1+json",
  dockerSchema1Signed: "application/vnd.docker.distribution.manifest.v1+prettyjws",
  dockerConfig: "application/vnd.docker.container.image.v1+json",
  ociManifest: "application/vnd.oci.image.manifest.v1+json",
  ociIndex: "application/vnd.oci.image.index.v1+json",
  ociConfig: "application/vnd.oci.image.config.v1+json",
  ociEmpty: "application/vnd.oci.empty.v1+json",
} as const;

/** Value for an `Accept` header asking a registry for every manifest kind this module reads, best first. */
export const MANIFEST_ACCEPT: string = [
  MEDIA_TYPES.ociIndex,
  MEDIA_TYPES.dockerManifestList,
  MEDIA_TYPES.ociManifest,
  MEDIA_TYPES.dockerManifest,
  MEDIA_TYPES.dockerSchema1Signed,
  MEDIA_TYPES.dockerSchema1,
].join(", ");

/** Media types of the documents classifyManifest reads: manifests and indexes of every kind. */
const MANIFEST_TYPES: ReadonlySet<string> = new Set([
  MEDIA_TYPES.dockerManifest,
  MEDIA_TYPES.dockerManifestList,
  MEDIA_TYPES.dockerSchema1,
  MEDIA_TYPES.dockerSchema1Signed,
  MEDIA_TYPES.ociManifest,
  MEDIA_TYPES.ociIndex,
]);

/** Config media types that make a manifest an image rather than an artifact. */
const IMAGE_CONFIG_TYPES: ReadonlySet<string> = new Set([MEDIA_TYPES.dockerConfig, MEDIA_TYPES.ociConfig]);

/** Layer media types the OCI image spec and Docker's schema 2 define (compressed, uncompressed, non-distributable). */
const KNOWN_LAYER_TYPE =
  /^application\/vnd\.(?:oci\.image\.layer\.(?:nondistributable\.)?v1\.tar(?:\+gzip|\+zstd)?|docker\.image\.rootfs\.(?:foreign\.)?diff\.tar(?:\.gzip)?)$/;
/** Encrypted layers (ocicrypt): `+encrypted` after a layer type. */
const ENCRYPTED_SUFFIX = "+encrypted";

/** RFC 6838 media type, as the OCI descriptor schema writes it. */
const MEDIA_TYPE = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$/;
/** OCI digest grammar: `algorithm:encoded`. */
const DIGEST = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;
/** Content types registries and file servers use when they do not say which manifest it is. */
const GENERIC_TYPES: ReadonlySet<string> = new Set([
  "application/json",
  "text/plain",
  "application/octet-stream",
]);

/** A content descriptor (OCI image spec): what a manifest or index points at. */
export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  urls?: string[];
  annotations?: Record<string, string>;
  artifactType?: string;
}

/** An index entry: a descriptor with the platform it was built for, when the index says. */
export interface IndexEntry extends Descriptor {
  platform?: {
    os: string;
    architecture: string;
    variant?: string;
    "os.version"?: string;
    "os.features"?: string[];
  };
}

/** A single-platform image manifest (Docker v2 schema 2 or OCI). */
export interface ImageManifest {
  kind: "image";
  format: "docker-v2s2" | "oci";
  mediaType: string;
  config: Descriptor;
  layers: LayerDescriptor[];
  /**
   * True when some layer is encrypted (ocicrypt `+encrypted`): the manifest and config are still read,
   * so the facts are complete, but no layer can be unpacked without the key.
   */
  encrypted: boolean;
  /** Layer media types that are neither Docker's nor OCI's: the image is classified, layers are not unpacked. */
  unknownLayerTypes: string[];
  annotations?: Record<string, string>;
}

/** A multi-platform list (Docker manifest list or OCI image index). */
export interface ManifestIndex {
  kind: "index";
  format: "docker-list" | "oci-index";
  mediaType: string;
  manifests: IndexEntry[];
  annotations?: Record<string, string>;
}

/** A Docker v2 schema 1 manifest (read-only, for old registries). */
export interface Schema1Manifest {
  kind: "schema1";
  format: "docker-v2s1";
  mediaType: string;
  /** True when the manifest carries JWS signatures (`signatures`); they are not verified. */
  signed: boolean;
  name?: string;
  tag?: string;
  architecture?: string;
  /** Layers base first (fsLayers list the top layer first), without the `throwaway` ones. */
  layers: LayerDescriptor[];
  /** The image config: `history[0].v1Compatibility` parsed (the newest entry carries the full config). */
  config: Record<string, unknown>;
  /** Every `v1Compatibility` parsed, oldest first: the image history. */
  v1History: Record<string, unknown>[];
}

/** An OCI artifact (an `artifactType`, or a config that is not an image config): not an image, no facts. */
export interface ArtifactManifest {
  kind: "artifact";
  format: "oci" | "docker-v2s2";
  mediaType: string;
  artifactType: string;
  layers: LayerDescriptor[];
}

/** What a manifest document is, once classified. */
export type ClassifiedManifest = ImageManifest | ManifestIndex | Schema1Manifest | ArtifactManifest;

/** Media type without parameters (`; charset=utf-8`), lower case. */
export function baseMediaType(contentType: string): string {
  return (contentType.split(";")[0] ?? "").trim().toLowerCase();
}

/**
 * Where the media type given to classifyManifest was read, which says how much it is trusted:
 * - `transport`: a registry's `Content-Type`. The distribution spec requires the document to agree with it.
 * - `descriptor`: the descriptor that pointed at the blob (an OCI layout's or a docker-archive's index).
 *   Layouts in the wild describe a Docker manifest as OCI, or use a type that names no manifest at all
 *   (go-containerregistry's test layout does both), so the document's own `mediaType` wins, and a
 *   descriptor type naming no manifest kind is ignored.
 */
export type MediaTypeOrigin = "transport" | "descriptor";

/**
 * Classifies a parsed manifest document. `mediaType` is what the transport or descriptor said (see
 * {@link MediaTypeOrigin}); when it and the document's `mediaType` are both missing the shape decides, as
 * the OCI spec allows. Throws CIP_IMAGE_INVALID saying what is wrong, and where (`where`).
 */
export function classifyManifest(
  document: unknown,
  mediaType?: string,
  where = "manifest",
  origin: MediaTypeOrigin = "transport",
): ClassifiedManifest {
  const fail = (problem: string, hint?: string): never => {
    throw new CipError("CIP_IMAGE_INVALID", `Cannot read the image manifest: ${problem} (${where})`, {
      hint:
        hint ??
        "Point at an image manifest or index (Docker v2 schema 2, manifest list, OCI manifest or index, or schema 1).",
    });
  };
  if (document === null || typeof document !== "object" || Array.isArray(document)) {
    return fail(`expected a JSON object, found ${describe(document)}`);
  }
  const doc = document as Record<string, unknown>;
  const given = mediaType === undefined || mediaType === "" ? undefined : baseMediaType(mediaType);
  if (given !== undefined && !MEDIA_TYPE.test(given))
    fail(`${JSON.stringify(mediaType)} is not a media type`);
  const declared = doc.mediaType;
  if (declared !== undefined && typeof declared !== "string") fail("mediaType is not a string");
  if (typeof declared === "string" && !MEDIA_TYPE.test(declared)) {
    fail(`mediaType ${JSON.stringify(declared)} is not a media type`);
  }
  const ignored =
    given === undefined ||
    GENERIC_TYPES.has(given) ||
    (origin === "descriptor" && !MANIFEST_TYPES.has(given));
  const transport = ignored ? undefined : given;
  const own = declared as string | undefined;
  // The distribution spec requires the document's mediaType to match the one it was served as.
  if (
    origin === "transport" &&
    transport !== undefined &&
    own !== undefined &&
    transport !== own &&
    !isSchema1Pair(transport, own)
  ) {
    fail(`served as ${transport} but the document says mediaType ${own}`);
  }
  const type = own ?? transport;

  const version = doc.schemaVersion;
  if (version === undefined) {
    return fail(`schemaVersion is missing; ${guessWhatItIs(doc)}`);
  }
  if (version !== 1 && version !== 2) {
    return fail(
      `schemaVersion ${JSON.stringify(version)} is not supported (only 1 and 2 exist)`,
      "The registry or file holds a manifest format this version of CIPolicE does not know.",
    );
  }
  if (version === 1) {
    if (
      type !== undefined &&
      type !== MEDIA_TYPES.dockerSchema1 &&
      type !== MEDIA_TYPES.dockerSchema1Signed
    ) {
      fail(`schemaVersion 1 with mediaType ${type}`);
    }
    return schema1(doc, fail);
  }

  switch (type) {
    case MEDIA_TYPES.dockerManifest:
      return imageManifest(doc, "docker-v2s2", type, fail);
    case MEDIA_TYPES.ociManifest:
      return imageManifest(doc, "oci", type, fail);
    case MEDIA_TYPES.dockerManifestList:
      return index(doc, "docker-list", type, fail);
    case MEDIA_TYPES.ociIndex:
      return index(doc, "oci-index", type, fail);
    case MEDIA_TYPES.dockerSchema1:
    case MEDIA_TYPES.dockerSchema1Signed:
      return fail(`mediaType ${type} with schemaVersion 2`);
    case undefined:
      break;
    default:
      return fail(
        `media type ${type} is not a manifest or index CIPolicE reads`,
        "Supported: Docker v2 schema 2, Docker manifest list, OCI image manifest, OCI image index, Docker v2 schema 1.",
      );
  }
  // No media type anywhere: the OCI spec made it optional at first, so the shape decides.
  if (Array.isArray(doc.manifests)) return index(doc, "oci-index", MEDIA_TYPES.ociIndex, fail);
  if (isObject(doc.config) && "layers" in doc) {
    const configType = doc.config.mediaType;
    return configType === MEDIA_TYPES.dockerConfig
      ? imageManifest(doc, "docker-v2s2", MEDIA_TYPES.dockerManifest, fail)
      : imageManifest(doc, "oci", MEDIA_TYPES.ociManifest, fail);
  }
  return fail(`no mediaType, and neither manifests nor config and layers; ${guessWhatItIs(doc)}`);
}

function isSchema1Pair(a: string, b: string): boolean {
  const schema1Types: string[] = [MEDIA_TYPES.dockerSchema1, MEDIA_TYPES.dockerSchema1Signed];
  return schema1Types.includes(a) && schema1Types.includes(b);
}

type Fail = (problem: string, hint?: string) => never;

function imageManifest(
  doc: Record<string, unknown>,
  format: "docker-v2s2" | "oci",
  mediaType: string,
  fail: Fail,
): ImageManifest | ArtifactManifest {
  if (!isObject(doc.config)) fail("config is missing or not an object");
  const configType = (doc.config as Record<string, unknown>).mediaType;
  const artifactType = typeof doc.artifactType === "string" ? doc.artifactType : undefined;
  // Old Docker tools wrote schema 2 manifests with an application/octet-stream config for real images.
  const imageConfig =
    typeof configType === "string" &&
    (IMAGE_CONFIG_TYPES.has(configType) ||
      (format === "docker-v2s2" && configType === "application/octet-stream"));
  if (artifactType !== undefined || !imageConfig) {
    // Artifacts may use the empty descriptor or no layers at all; only their type matters here.
    const layers = Array.isArray(doc.layers) ? doc.layers.filter(isObject).map((l) => layerOf(l)) : [];
    return {
      kind: "artifact",
      format,
      mediaType,
      artifactType: artifactType ?? (typeof configType === "string" ? configType : "unknown"),
      layers,
    };
  }
  const config = descriptor(doc.config, "config", fail);
  if (!Array.isArray(doc.layers)) fail("layers is missing or not an array");
  const layers = (doc.layers as unknown[]).map((l, i) => descriptor(l, `layers[${i}]`, fail));
  const unknownLayerTypes = [
    ...new Set(layers.map((l) => l.mediaType).filter((t) => !KNOWN_LAYER_TYPE.test(stripEncrypted(t)))),
  ];
  const result: ImageManifest = {
    kind: "image",
    format,
    mediaType,
    config,
    layers: layers.map((l) => ({ digest: l.digest, size: l.size, mediaType: l.mediaType })),
    encrypted: layers.some((l) => l.mediaType.endsWith(ENCRYPTED_SUFFIX)),
    unknownLayerTypes,
  };
  const annotations = stringRecord(doc.annotations);
  if (annotations !== undefined) result.annotations = annotations;
  return result;
}

function stripEncrypted(type: string): string {
  return type.endsWith(ENCRYPTED_SUFFIX) ? type.slice(0, -ENCRYPTED_SUFFIX.length) : type;
}

function index(
  doc: Record<string, unknown>,
  format: "docker-list" | "oci-index",
  mediaType: string,
  fail: Fail,
): ManifestIndex {
  if (!Array.isArray(doc.manifests)) fail("manifests is missing or not an array");
  const manifests = (doc.manifests as unknown[]).map((entry, i) => {
    const where = `manifests[${i}]`;
    const d: IndexEntry = descriptor(entry, where, fail);
    const platform = (entry as Record<string, unknown>).platform;
    if (platform !== undefined) {
      if (
        !isObject(platform) ||
        typeof platform.os !== "string" ||
        typeof platform.architecture !== "string"
      ) {
        fail(`${where}.platform needs os and architecture strings`);
      }
      const p = platform as Record<string, unknown>;
      d.platform = { os: p.os as string, architecture: p.architecture as string };
      if (typeof p.variant === "string" && p.variant !== "") d.platform.variant = p.variant;
      if (typeof p["os.version"] === "string") d.platform["os.version"] = p["os.version"];
      if (Array.isArray(p["os.features"])) {
        d.platform["os.features"] = p["os.features"].filter((f): f is string => typeof f === "string");
      }
    }
    return d;
  });
  const result: ManifestIndex = { kind: "index", format, mediaType, manifests };
  const annotations = stringRecord(doc.annotations);
  if (annotations !== undefined) result.annotations = annotations;
  return result;
}

function schema1(doc: Record<string, unknown>, fail: Fail): Schema1Manifest {
  if (!Array.isArray(doc.fsLayers)) fail("schema 1 fsLayers is missing or not an array");
  if (!Array.isArray(doc.history)) fail("schema 1 history is missing or not an array");
  const fsLayers = doc.fsLayers as unknown[];
  const history = doc.history as unknown[];
  if (fsLayers.length === 0) fail("schema 1 fsLayers is empty");
  if (fsLayers.length !== history.length) {
    fail(`schema 1 has ${fsLayers.length} fsLayers but ${history.length} history entries`);
  }
  if (doc.signatures !== undefined && !Array.isArray(doc.signatures))
    fail("schema 1 signatures is not an array");
  const v1 = history.map((h, i) => {
    const text = isObject(h) ? h.v1Compatibility : undefined;
    if (typeof text !== "string") fail(`history[${i}].v1Compatibility is missing`);
    try {
      const parsed: unknown = JSON.parse(text as string);
      if (!isObject(parsed)) throw new Error("not an object");
      return parsed;
    } catch {
      return fail(`history[${i}].v1Compatibility is not a JSON object`);
    }
  });
  const layers: LayerDescriptor[] = [];
  // fsLayers and history list the newest layer first; facts list the base first.
  for (let i = fsLayers.length - 1; i >= 0; i--) {
    const blobSum = isObject(fsLayers[i]) ? (fsLayers[i] as Record<string, unknown>).blobSum : undefined;
    if (typeof blobSum !== "string" || !DIGEST.test(blobSum)) fail(`fsLayers[${i}].blobSum is not a digest`);
    if (v1[i]?.throwaway === true) continue;
    layers.push({ digest: blobSum as string });
  }
  const signed = Array.isArray(doc.signatures) && doc.signatures.length > 0;
  const result: Schema1Manifest = {
    kind: "schema1",
    format: "docker-v2s1",
    mediaType: signed ? MEDIA_TYPES.dockerSchema1Signed : MEDIA_TYPES.dockerSchema1,
    signed,
    layers,
    config: v1[0] as Record<string, unknown>,
    v1History: [...v1].reverse(),
  };
  if (typeof doc.name === "string") result.name = doc.name;
  if (typeof doc.tag === "string") result.tag = doc.tag;
  if (typeof doc.architecture === "string") result.architecture = doc.architecture;
  return result;
}

function descriptor(value: unknown, where: string, fail: Fail): Descriptor {
  if (!isObject(value)) return fail(`${where} is not an object`);
  const { mediaType, digest, size } = value;
  if (typeof mediaType !== "string" || !MEDIA_TYPE.test(mediaType)) {
    fail(`${where}.mediaType ${JSON.stringify(mediaType)} is not a media type`);
  }
  if (typeof digest !== "string" || !DIGEST.test(digest)) {
    fail(`${where}.digest ${JSON.stringify(digest)} is not a digest (algorithm:hex)`);
  }
  if (typeof size !== "number" || !Number.isSafeInteger(size) || size < 0) {
    fail(`${where}.size ${JSON.stringify(size)} is not a byte count`);
  }
  const d: Descriptor = { mediaType: mediaType as string, digest: digest as string, size: size as number };
  if (Array.isArray(value.urls)) d.urls = value.urls.filter((u): u is string => typeof u === "string");
  const annotations = stringRecord(value.annotations);
  if (annotations !== undefined) d.annotations = annotations;
  if (typeof value.artifactType === "string") d.artifactType = value.artifactType;
  return d;
}

function layerOf(l: Record<string, unknown>): LayerDescriptor {
  const layer: LayerDescriptor = { digest: typeof l.digest === "string" ? l.digest : "" };
  if (typeof l.size === "number") layer.size = l.size;
  if (typeof l.mediaType === "string") layer.mediaType = l.mediaType;
  return layer;
}

/** Says what a document without schemaVersion looks like, so the user knows which file they gave. */
function guessWhatItIs(doc: Record<string, unknown>): string {
  if (isObject(doc.rootfs) || (isObject(doc.config) && typeof doc.architecture === "string")) {
    return "this is an image config, not a manifest";
  }
  if (typeof doc.digest === "string" && typeof doc.mediaType === "string") {
    return "this is a content descriptor, not a manifest";
  }
  if (typeof doc.imageLayoutVersion === "string")
    return "this is an OCI layout's oci-layout file, not a manifest";
  if (typeof doc.$schema === "string") return "this is a JSON Schema, not a manifest";
  if (typeof doc.Name === "string" && typeof doc.Digest === "string") {
    return "this is `skopeo inspect` output, not a manifest";
  }
  return "this is not a manifest or index";
}

function stringRecord(value: unknown): Record<string, string> | undefined {
  if (!isObject(value)) return undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) if (typeof v === "string") out[k] = v;
  return out;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return `a ${typeof value}`;
}

/**
 * Parses manifest bytes as served (registry body, layout blob, archive entry) and classifies them.
 * Throws CIP_PARSE when they are not JSON text, else as classifyManifest does.
 */
export function parseManifest(
  bytes: string | Uint8Array,
  mediaType?: string,
  where = "manifest",
): ClassifiedManifest {
  const text = typeof bytes === "string" ? bytes : new TextDecoder("utf-8", { fatal: false }).decode(bytes);
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new CipError("CIP_PARSE", `Cannot read the image manifest: it is not JSON (${where})`, {
      hint: "A manifest is a JSON document; check that the file or registry response is the manifest itself.",
      cause: error,
    });
  }
  return classifyManifest(document, mediaType, where);
}
