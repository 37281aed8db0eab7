import { parseImageReference } from "../../image/image-reference.js";
import type { ImageFacts, ImageRef } from "../../model/index.js";
import type { ContainerSnapshot } from "../container-snapshot.js";

/** The registry digest of the container's image: the repo digest of its repository, else the first one. */
export function containerImageDigest(
  container: ContainerSnapshot,
  ref: ImageRef | undefined,
): string | undefined {
  const digests = container.repoDigests.flatMap((text) => {
    const at = text.lastIndexOf("@");
    return at < 0 ? [] : [{ name: text.slice(0, at), digest: text.slice(at + 1) }];
  });
  const own = ref === undefined ? undefined : digests.find((d) => d.name.endsWith(ref.repository));
  return (own ?? digests[0])?.digest;
}

/** The container's image as a reference; undefined when its name cannot be read (an image id only). */
export function containerImageRef(container: ContainerSnapshot): ImageRef | undefined {
  try {
    return parseImageReference(container.image);
  } catch {
    return undefined;
  }
}

/**
 * What the engine tells of a container's image, as facts the policy reads: the reference the container
 * names, the registry digest, the image id, and the image configuration (user, env, labels, entrypoint,
 * command, working directory). Scanner reports are added from the store by the caller.
 */
export function factsFromContainer(container: ContainerSnapshot): ImageFacts {
  const parsed = containerImageRef(container);
  const ref: ImageRef = parsed ?? { registry: "localhost", repository: container.imageId.replace(":", "-") };
  const digest = containerImageDigest(container, parsed);
  const config = container.imageConfig;
  return {
    ref,
    ...(digest !== undefined ? { digest } : {}),
    imageId: container.imageId,
    ...(config !== undefined
      ? {
          config: {
            ...(config.user !== undefined ? { user: config.user } : {}),
            ...(config.env !== undefined ? { env: config.env } : {}),
            ...(config.labels !== undefined ? { labels: config.labels } : {}),
            ...(config.entrypoint !== undefined ? { entrypoint: config.entrypoint } : {}),
            ...(config.cmd !== undefined ? { cmd: config.cmd } : {}),
            ...(config.workdir !== undefined ? { workdir: config.workdir } : {}),
          },
        }
      : {}),
    provenance: [{ source: "container-engine" }],
  };
}
