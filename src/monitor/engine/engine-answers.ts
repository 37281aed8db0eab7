import type { EngineImageConfig } from "../container-snapshot.js";
import { field, str, stringRecord, strings } from "./engine-json.js";

/** What `GET /version` says of the engine. */
export interface EngineVersion {
  /** Engine version (`Version`: `27.3.1`, `4.3.1` for podman). */
  version: string;
  /** Highest API version the engine serves (`ApiVersion`: `1.41`); empty when it does not say. */
  apiVersion: string;
  /** Lowest API version the engine serves (`MinAPIVersion`); empty when it does not say. */
  minApiVersion: string;
  os: string;
  arch: string;
  /** Names of the engine's components (`Podman Engine`, `Engine`, `containerd`, …). */
  components: string[];
  /** The API version this client uses from now on, e.g. `1.41`. */
  negotiatedApiVersion: string;
}

/** One row of `GET /containers/json`. */
export interface EngineContainerSummary {
  id: string;
  /** Names without the leading slash. */
  names: string[];
  /** The image as given at start (`localhost/app:v1`), or its id. */
  image: string;
  imageId: string;
  /** `running`, `paused`, … */
  state: string;
  labels: Record<string, string>;
}

/** What `GET /containers/{id}/json` says of one container (the fields the monitor uses). */
export interface EngineContainer {
  id: string;
  name: string;
  /** `Config.Image`: the image as the container was started with it. */
  image: string;
  /** `Image`: the image id (`sha256:…`). */
  imageId: string;
  /** `Config.User`: the effective user; empty means the image's default. */
  user: string;
  path: string;
  args: string[];
  labels: Record<string, string>;
  state: string;
  /** RFC 3339; undefined when the engine gives none or its zero time. */
  startedAt?: string;
}

/** What `GET /images/{id}/json` says of one image (the fields the monitor uses). */
export interface EngineImage {
  id: string;
  repoTags: string[];
  /** `name@sha256:…` entries. */
  repoDigests: string[];
  /** Undefined when the engine has no config for the image. */
  config?: EngineImageConfig;
}

/** Reads a `GET /version` answer. */
export function readVersion(value: unknown, negotiatedApiVersion: string): EngineVersion {
  const components = Array.isArray(field(value, "Components"))
    ? (field(value, "Components") as unknown[]).map((c) => str(field(c, "Name"))).filter((n) => n !== "")
    : [];
  return {
    version: str(field(value, "Version")),
    apiVersion: str(field(value, "ApiVersion")),
    minApiVersion: str(field(value, "MinAPIVersion")),
    os: str(field(value, "Os")),
    arch: str(field(value, "Arch")),
    components,
    negotiatedApiVersion,
  };
}

/** Reads one row of a `GET /containers/json` answer; undefined when it has no id. */
export function readContainerSummary(value: unknown): EngineContainerSummary | undefined {
  const id = str(field(value, "Id"));
  if (id === "") return undefined;
  return {
    id,
    names: (strings(field(value, "Names")) ?? []).map(withoutSlash),
    image: str(field(value, "Image")),
    imageId: str(field(value, "ImageID")),
    state: str(field(value, "State")),
    labels: stringRecord(field(value, "Labels")),
  };
}

/** Reads a `GET /containers/{id}/json` answer; undefined when it has no id. */
export function readContainer(value: unknown): EngineContainer | undefined {
  const id = str(field(value, "Id"));
  if (id === "") return undefined;
  const config = field(value, "Config");
  const state = field(value, "State");
  const startedAt = str(field(state, "StartedAt"));
  const container: EngineContainer = {
    id,
    name: withoutSlash(str(field(value, "Name"))),
    image: str(field(config, "Image")),
    imageId: str(field(value, "Image")),
    user: str(field(config, "User")),
    path: str(field(value, "Path")),
    args: strings(field(value, "Args")) ?? [],
    labels: stringRecord(field(config, "Labels")),
    state: str(field(state, "Status")),
  };
  // Go's zero time means "never started"
  if (startedAt !== "" && !startedAt.startsWith("0001-01-01")) container.startedAt = startedAt;
  return container;
}

/** Reads a `GET /images/{id}/json` answer; undefined when it has no id. */
export function readImage(value: unknown): EngineImage | undefined {
  const id = str(field(value, "Id"));
  if (id === "") return undefined;
  const image: EngineImage = {
    id,
    repoTags: strings(field(value, "RepoTags")) ?? [],
    repoDigests: strings(field(value, "RepoDigests")) ?? [],
  };
  const config = readImageConfig(field(value, "Config"));
  if (config !== undefined) image.config = config;
  return image;
}

/** The image config as the snapshot holds it: only what the image sets (null and empty values left out). */
function readImageConfig(value: unknown): EngineImageConfig | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  const config: EngineImageConfig = {};
  const user = str(field(value, "User"));
  if (user !== "") config.user = user;
  const env = strings(field(value, "Env"));
  if (env !== undefined) config.env = env;
  const labels = stringRecord(field(value, "Labels"));
  if (Object.keys(labels).length > 0) config.labels = labels;
  const entrypoint = strings(field(value, "Entrypoint"));
  if (entrypoint !== undefined) config.entrypoint = entrypoint;
  const cmd = strings(field(value, "Cmd"));
  if (cmd !== undefined) config.cmd = cmd;
  const workdir = str(field(value, "WorkingDir"));
  if (workdir !== "") config.workdir = workdir;
  return config;
}

function withoutSlash(name: string): string {
  return name.startsWith("/") ? name.slice(1) : name;
}
