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
}

/** Reads one image from its source (registry, OCI layout, docker-archive) and returns its facts. */
export async function readImageFacts(
  argument: ImageArgument,
  options: ReadImageOptions = {},
): Promise<ImageFacts> {
  const image = await resolve(argument, options);
  return factsFromImage(image, options.dockerfile !== undefined ? { dockerfile: options.dockerfile } : {});
}

// Each source's reader is loaded when used: a registry read need not load tar and zlib, nor an archive HTTP
async function resolve(argument: ImageArgument, options: ReadImageOptions): Promise<ResolvedImage> {
  switch (argument.kind) {
    case "oci-layout": {
      const { readOciLayout } = await import("../image/oci-layout.js");
      return readOciLayout(argument.path, {
        ...(argument.tag !== undefined ? { tag: argument.tag } : {}),
        ...(options.platform ? { platform: options.platform } : {}),
      });
    }
    case "docker-archive": {
      const { readDockerArchive } = await import("../image/docker-archive.js");
      return readDockerArchive(argument.path, argument.tag !== undefined ? { tag: argument.tag } : {});
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
