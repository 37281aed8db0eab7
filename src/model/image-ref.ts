/** A parsed image reference, as the Docker CLI reads one (`nginx` = `docker.io/library/nginx:latest`). */
export interface ImageRef {
  /** Registry host, with port when one was given (`docker.io`, `localhost:5000`). */
  registry: string;
  /** Repository path inside the registry (`library/nginx`). */
  repository: string;
  /** Tag; absent when only a digest was given. */
  tag?: string;
  /** Manifest digest (`sha256:…`) when pinned. */
  digest?: string;
}
