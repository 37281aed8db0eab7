/** The image configuration a container engine reports for an image (`GET /images/{id}/json` → `Config`). */
export interface EngineImageConfig {
  user?: string;
  env?: string[];
  labels?: Record<string, string>;
  entrypoint?: string[];
  cmd?: string[];
  workdir?: string;
}

/**
 * What the monitor knows about one container, read from the engine at one moment. Checks read only this,
 * so they can be tested without an engine and a container that vanishes mid-check changes nothing here.
 */
export interface ContainerSnapshot {
  /** Full container id. */
  id: string;
  /** Name without the leading slash. */
  name: string;
  /** The image as the container was started with it (`Config.Image`, e.g. `localhost/app:v1`). */
  image: string;
  /** Image id (`sha256:…`, the config digest). */
  imageId: string;
  /** Registry digests of the image (`name@sha256:…`); empty for images never pushed or pulled. */
  repoDigests: string[];
  /** The container's effective user (`Config.User`): empty means the image's default. */
  user: string;
  /** The command the container runs: `Path` then `Args`. */
  command: string[];
  /** Container labels. */
  labels: Record<string, string>;
  /** Engine state: `running`, `paused`, `exited`, … */
  state: string;
  /** When the container started (RFC 3339), when the engine says. */
  startedAt?: string;
  /** The image's configuration; undefined when the engine has none for it (image removed, no config). */
  imageConfig?: EngineImageConfig;
}
