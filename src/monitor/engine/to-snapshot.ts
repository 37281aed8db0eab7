import type { ContainerSnapshot } from "../container-snapshot.js";
import type { EngineContainer, EngineImage } from "./engine-answers.js";

/**
 * The snapshot of a container from its inspection and its image's (undefined when the image is gone): repo
 * digests and image config come from the image, everything else from the container.
 */
export function toSnapshot(container: EngineContainer, image: EngineImage | undefined): ContainerSnapshot {
  const snapshot: ContainerSnapshot = {
    id: container.id,
    name: container.name,
    image: container.image,
    imageId: container.imageId,
    repoDigests: image?.repoDigests ?? [],
    user: container.user,
    command: container.path === "" ? [...container.args] : [container.path, ...container.args],
    labels: container.labels,
    state: container.state,
  };
  if (container.startedAt !== undefined) snapshot.startedAt = container.startedAt;
  if (image?.config !== undefined) snapshot.imageConfig = image.config;
  return snapshot;
}
