/**
 * A parsed image reference, as the Docker CLI reads one (`nginx` = `docker.io/library/nginx:latest`).
 *
 * A digest-only reference (a report such as Clair v4's that identifies its image by `manifest_hash` alone)
 * has `registry` and `repository` both empty, no tag and a `digest`; it prints as `@sha256:…`. Use
 * {@link isDigestOnly} rather than testing the strings.
 */
export interface ImageRef {
  /** Registry host, with port when one was given (`docker.io`, `localhost:5000`); empty when digest-only. */
  registry: string;
  /** Repository path inside the registry (`library/nginx`); empty when digest-only. */
  repository: string;
  /** Tag; absent when only a digest was given. */
  tag?: string;
  /** Manifest digest (`sha256:…`) when pinned; always present when digest-only. */
  digest?: string;
}

/** True when the image is known by its digest alone: no registry and no repository name it. */
export function isDigestOnly(ref: Pick<ImageRef, "registry" | "repository">): boolean {
  return ref.registry === "" && ref.repository === "";
}

/** A reference to the image known only by `digest` (see {@link ImageRef}). */
export function digestOnlyRef(digest: string): ImageRef {
  return { registry: "", repository: "", digest };
}
