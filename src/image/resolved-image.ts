import type { ImageRef } from "../model/index.js";

/** A layer as a manifest describes it. */
export interface LayerDescriptor {
  digest: string;
  size?: number;
  mediaType?: string;
}

/**
 * One single-platform image as any source found it (registry, OCI layout, docker-archive): its
 * manifest and config as parsed JSON, ready to become facts. Sources resolve indexes to one platform first.
 */
export interface ResolvedImage {
  /** The reference the image is known by (for archives: their tag, else one made from the file name). */
  ref: ImageRef;
  source: "registry" | "oci-layout" | "docker-archive";
  /** Registry URL, or the path of the layout or archive. */
  location: string;
  /** Digest of the single-platform manifest, when the source has one (docker ≤24 archives do not). */
  manifestDigest?: string;
  /** Digest of the index or manifest list the reference names (the outermost, when indexes nest). */
  indexDigest?: string;
  manifestMediaType: string;
  manifest: unknown;
  config: unknown;
  configDigest?: string;
  layers: LayerDescriptor[];
}
