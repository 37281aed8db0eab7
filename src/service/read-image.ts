import { type ArchiveLimits, archiveLimits } from "../image/archive-limits.js";
import { factsFromImage } from "../image/config-facts.js";
import { parseImageReference } from "../image/image-reference.js";
import type { RegistryClientOptions } from "../image/registry/registry-client.js";
import type { ResolvedImage } from "../image/resolved-image.js";
import type { ImageFacts, Platform } from "../model/index.js";
import type { ImageArgument } from "./image-argument.js";

/** How to read an image: which platform of an index, a Dockerfile to use as actual, registry settings. */
export interface ReadImageOptions {
  platform?: Platform;
  /** Text of the Dockerfile the image was built from; without it the Dockerfile is guessed from the history. */
  dockerfile?: string;
  registry?: RegistryClientOptions;
  /**
   * The document limit (`--max-input-size`): it caps each manifest, index and config read from a layout
   * or archive (below their own 8 MiB cap), an archive's JSON entries taken together, and derives the
   * archive limits not given.
   */
  maxInputBytes?: number;
  /** Bounds on an archive's bytes, decompressed bytes and entries; see archiveLimits for defaults. */
  archiveLimits?: Partial<ArchiveLimits>;
}

/** Reads one image from its source (registry, OCI layout, docker-archive) and returns its facts. */
export async function readImageFacts(
  argument: ImageArgument,
  options: ReadImageOptions = {},
): Promise<ImageFacts> {
  return (await readImage(argument, options)).facts;
}

/** Reads one image from its source, returning the image as found (manifest, config, layers) and its facts. */
export async function readImage(
  argument: ImageArgument,
  options: ReadImageOptions = {},
): Promise<{ image: ResolvedImage; facts: ImageFacts }> {
  const image = await resolveImageArgument(argument, options);
  return {
    image,
    facts: factsFromImage(image, options.dockerfile !== undefined ? { dockerfile: options.dockerfile } : {}),
  };
}

/** The single-platform image an argument names, from its source. */
// Each source's reader is loaded when used: a registry read need not load tar and zlib, nor an archive HTTP
export async function resolveImageArgument(
  argument: ImageArgument,
  options: ReadImageOptions,
): Promise<ResolvedImage> {
  switch (argument.kind) {
    case "oci-layout": {
      const { readOciLayout, DEFAULT_MAX_JSON_BYTES } = await import("../image/oci-layout.js");
      return readOciLayout(argument.path, {
        ...(argument.tag !== undefined ? { tag: argument.tag } : {}),
        ...(options.platform ? { platform: options.platform } : {}),
        ...(options.maxInputBytes !== undefined
          ? { maxJsonBytes: Math.min(DEFAULT_MAX_JSON_BYTES, options.maxInputBytes) }
          : {}),
      });
    }
    case "docker-archive": {
      const [{ readDockerArchive }, { DEFAULT_MAX_JSON_BYTES }] = await Promise.all([
        import("../image/docker-archive.js"),
        import("../image/oci-layout.js"),
      ]);
      return readDockerArchive(argument.path, {
        ...(argument.tag !== undefined ? { tag: argument.tag } : {}),
        ...(options.maxInputBytes !== undefined
          ? {
              maxEntryBytes: Math.min(DEFAULT_MAX_JSON_BYTES, options.maxInputBytes),
              maxJsonBytes: options.maxInputBytes,
            }
          : {}),
        limits: archiveLimits(options.archiveLimits, options.maxInputBytes),
      });
    }
    case "registry": {
      const { RegistryClient } = await import("../image/registry/registry-client.js");
      return new RegistryClient({
        ...options.registry,
        ...(options.platform ? { platform: options.platform } : {}),
      }).resolveImage(parseImageReference(argument.reference));
    }
  }
}
