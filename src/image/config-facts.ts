import {
  CipError,
  DOCKERFILE_DIRECTIVES,
  type Dockerfile,
  type DockerfileInstruction,
  type ImageConfig,
  type ImageFacts,
  type Layer,
  type Platform,
} from "../model/index.js";
import { parseDockerfileText } from "./dockerfile-text.js";
import { MEDIA_TYPES } from "./manifest.js";
import type { ResolvedImage } from "./resolved-image.js";

// A history `created_by` starts with one of these when it records a Dockerfile step.
const DIRECTIVES: ReadonlySet<string> = new Set(DOCKERFILE_DIRECTIVES);
const SHELL_PREFIXES = ["/bin/sh -c ", "cmd /S /C "];
const NOP = "#(nop) ";
const BUILDKIT_SUFFIX = / # buildkit$/;

/**
 * Turns a resolved image into facts: ref, digests, platform, runtime config, layers, total size, and the
 * Dockerfile, `actual` when `options.dockerfile` (its text) is given, else `guessed` from the config history.
 * Throws CIP_IMAGE_INVALID when the config is not a JSON object.
 */
export function factsFromImage(image: ResolvedImage, options: { dockerfile?: string } = {}): ImageFacts {
  const config = image.config;
  if (!isObject(config)) {
    throw new CipError(
      "CIP_IMAGE_INVALID",
      `Cannot read the image config: expected a JSON object (${image.location}${image.configDigest ? ` ${image.configDigest}` : ""})`,
      { hint: "The manifest's config descriptor must point at an image config JSON document." },
    );
  }
  const facts: ImageFacts = { ref: image.ref };
  if (image.manifestDigest !== undefined) facts.digest = image.manifestDigest;
  if (image.configDigest !== undefined) facts.imageId = image.configDigest;
  const platform = platformOf(config);
  if (platform !== undefined) facts.platform = platform;
  facts.config = runtimeConfig(config);
  const layers: Layer[] = image.layers.map((l) => {
    const layer: Layer = { digest: l.digest };
    if (l.size !== undefined) layer.size = l.size;
    if (l.mediaType !== undefined) layer.mediaType = l.mediaType;
    return layer;
  });
  facts.layers = layers;
  // A total is only stated when every layer's size is known (schema 1 manifests give none).
  if (layers.every((l) => l.size !== undefined))
    facts.size = layers.reduce((sum, l) => sum + (l.size ?? 0), 0);
  facts.dockerfile =
    options.dockerfile !== undefined
      ? { mode: "actual", instructions: parseDockerfileText(options.dockerfile) }
      : guessedDockerfile(historyOf(image, config));
  facts.provenance = [{ source: image.source, location: image.location }];
  return facts;
}

/** One history entry as the image config (or a schema 1 v1Compatibility) records it. */
export interface HistoryEntry {
  created_by?: string;
  empty_layer?: boolean;
}

/** The history, oldest first: the config's `history`, or for schema 1 the `container_config.Cmd` of each v1 entry. */
function historyOf(image: ResolvedImage, config: Record<string, unknown>): HistoryEntry[] {
  if (Array.isArray(config.history)) {
    return config.history.filter(isObject).map((h) => ({
      created_by: typeof h.created_by === "string" ? h.created_by : undefined,
      empty_layer: h.empty_layer === true,
    }));
  }
  const manifestMediaType: string = image.manifestMediaType;
  if (
    manifestMediaType === MEDIA_TYPES.dockerSchema1 ||
    manifestMediaType === MEDIA_TYPES.dockerSchema1Signed
  ) {
    const manifest = image.manifest;
    const history = isObject(manifest) && Array.isArray(manifest.history) ? manifest.history : [];
    return history
      .map((h) => {
        try {
          const v1: unknown =
            isObject(h) && typeof h.v1Compatibility === "string" ? JSON.parse(h.v1Compatibility) : {};
          const cmd = isObject(v1) && isObject(v1.container_config) ? v1.container_config.Cmd : undefined;
          return {
            created_by: stringList(cmd)?.join(" "),
            empty_layer: isObject(v1) && v1.throwaway === true,
          };
        } catch {
          return {};
        }
      })
      .reverse();
  }
  return [];
}

/** Dockerfile rebuilt from the history: one instruction per recognised entry, `line` its 1-based position. */
export function guessedDockerfile(history: HistoryEntry[]): Dockerfile {
  const instructions: DockerfileInstruction[] = [];
  history.forEach((entry, i) => {
    const instruction = instructionFromHistory(entry.created_by ?? "");
    if (instruction !== undefined) instructions.push({ ...instruction, line: i + 1 });
  });
  return { mode: instructions.length > 0 ? "guessed" : "unknown", instructions };
}

/**
 * One history `created_by` as a Dockerfile instruction: legacy builder `/bin/sh -c #(nop)  CMD ["x"]` is
 * `CMD ["x"]`, `/bin/sh -c apt-get …` is `RUN apt-get …`; BuildKit `RUN /bin/sh -c … # buildkit` is
 * `RUN …`, `ENV A=b` stays; the `|N KEY=value …` build-argument prefix is dropped. Undefined when the text
 * is no instruction (empty, or a tool's note such as `Imported from -`).
 */
export function instructionFromHistory(createdBy: string): { directive: string; value: string } | undefined {
  let text = createdBy.trim().replace(BUILDKIT_SUFFIX, "");
  text = dropBuildArgs(text);
  const shell = SHELL_PREFIXES.find((p) => text.startsWith(p));
  if (shell !== undefined) {
    const rest = text.slice(shell.length).trimStart();
    if (!rest.startsWith(NOP)) return rest === "" ? undefined : { directive: "RUN", value: rest.trim() };
    text = rest.slice(NOP.length).trim();
  }
  const m = /^(\S+)(?:\s+([\s\S]*))?$/.exec(text);
  if (m === null) return undefined;
  const directive = (m[1] as string).toUpperCase();
  // A lower-case first word is a command, not an instruction, unless the legacy builder marked it #(nop).
  if (!DIRECTIVES.has(directive) || (m[1] !== directive && shell === undefined)) return undefined;
  let value = (m[2] ?? "").trim();
  if (directive === "RUN") value = dropBuildArgs(value);
  const inner = directive === "RUN" ? SHELL_PREFIXES.find((p) => value.startsWith(p)) : undefined;
  if (inner !== undefined) value = value.slice(inner.length).trim();
  return { directive, value };
}

/** Drops the `|2 A=1 B=2 ` prefix builders put before commands run with build arguments. */
function dropBuildArgs(text: string): string {
  const m = /^\|(\d+)\s+/.exec(text);
  if (m === null) return text;
  let rest = text.slice(m[0].length);
  for (let n = Number(m[1]); n > 0; n--) {
    const arg = /^[^\s=]+=\S*\s*/.exec(rest);
    if (arg === null) break;
    rest = rest.slice(arg[0].length);
  }
  return rest;
}

function platformOf(config: Record<string, unknown>): Platform | undefined {
  const { os, architecture, variant } = config;
  if (typeof os !== "string" || typeof architecture !== "string" || os === "" || architecture === "")
    return undefined;
  const platform: Platform = { os, architecture };
  if (typeof variant === "string" && variant !== "") platform.variant = variant;
  return platform;
}

function runtimeConfig(image: Record<string, unknown>): ImageConfig {
  const c = isObject(image.config) ? image.config : {};
  const out: ImageConfig = {};
  if (typeof c.User === "string" && c.User !== "") out.user = c.User;
  const env = stringList(c.Env);
  if (env !== undefined) out.env = env;
  if (isObject(c.ExposedPorts)) out.exposedPorts = Object.keys(c.ExposedPorts);
  if (isObject(c.Labels)) {
    out.labels = Object.fromEntries(
      Object.entries(c.Labels).filter((e): e is [string, string] => typeof e[1] === "string"),
    );
  }
  const entrypoint = stringList(c.Entrypoint);
  if (entrypoint !== undefined) out.entrypoint = entrypoint;
  const cmd = stringList(c.Cmd);
  if (cmd !== undefined) out.cmd = cmd;
  if (typeof c.WorkingDir === "string" && c.WorkingDir !== "") out.workdir = c.WorkingDir;
  if (isObject(c.Healthcheck)) {
    const h = c.Healthcheck;
    const test = stringList(h.Test);
    if (test !== undefined) {
      // Interval and Timeout are nanoseconds in the config; kept as given.
      out.healthcheck = { test };
      if (typeof h.Interval === "number") out.healthcheck.interval = h.Interval;
      if (typeof h.Timeout === "number") out.healthcheck.timeout = h.Timeout;
      if (typeof h.Retries === "number") out.healthcheck.retries = h.Retries;
    }
  }
  if (typeof c.StopSignal === "string" && c.StopSignal !== "") out.stopSignal = c.StopSignal;
  if (isObject(c.Volumes)) out.volumes = Object.keys(c.Volumes);
  if (typeof image.created === "string" && !Number.isNaN(Date.parse(image.created)))
    out.created = image.created;
  return out;
}

function stringList(value: unknown): string[] | undefined {
  if (typeof value === "string") return [value];
  if (!Array.isArray(value)) return undefined;
  return value.filter((v): v is string => typeof v === "string");
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
