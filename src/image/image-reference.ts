import { CipError, type ImageRef, isDigestOnly } from "../model/index.js";

/** Docker Hub as the Docker CLI names it in canonical references. */
export const DOCKER_HUB = "docker.io";

/** The legacy Docker Hub host the Docker CLI rewrites to `docker.io`. */
const LEGACY_DOCKER_HUB = "index.docker.io";
const OFFICIAL_PREFIX = "library/";
const DEFAULT_TAG = "latest";

/** Longest repository path (without the registry) the distribution grammar accepts. */
export const MAX_REPOSITORY_LENGTH = 255;
/** Longest tag the distribution grammar accepts. */
export const MAX_TAG_LENGTH = 128;

const HOST_NAME =
  /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*$/;
const IPV6_HOST = /^\[[a-fA-F0-9:]+\]$/;
const PORT = /^[0-9]+$/;
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^\w[\w.-]*$/;
const IMAGE_ID = /^[a-f0-9]{64}$/;
const DIGEST_ALGORITHM = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*$/;
const DIGEST_HEX = /^[0-9a-fA-F]{32,}$/;
/** Hex digits of each digest algorithm the Docker CLI can verify. */
const DIGEST_LENGTHS: Readonly<Record<string, number>> = { sha256: 64, sha384: 96, sha512: 128 };

const GENERAL_HINT =
  'An image reference reads [registry[:port]/]repository[:tag][@digest], such as "nginx:1.27" or "registry.example.com/team/app@sha256:<64 hex digits>".';

class Invalid {
  constructor(
    readonly problem: string,
    readonly hint: string = GENERAL_HINT,
  ) {}
}

/**
 * Parses an image reference as the Docker CLI does (distribution's normalized names): `nginx` is
 * `docker.io/library/nginx:latest`, the first path component is a registry only when it has a `.` or `:`,
 * is `localhost` or has upper case, `index.docker.io` becomes `docker.io`, and a tag and a digest may both
 * be given. `latest` is added only when neither is. Throws CIP_IMAGE_REF_INVALID saying what is wrong.
 */
export function parseImageReference(text: string): ImageRef {
  const result = parse(text);
  if (result instanceof Invalid) {
    throw new CipError(
      "CIP_IMAGE_REF_INVALID",
      `Cannot parse image reference ${JSON.stringify(text)}: ${result.problem}`,
      {
        hint: result.hint,
      },
    );
  }
  return result;
}

function parse(text: string): ImageRef | Invalid {
  if (text === "") return new Invalid("the reference is empty");
  if (/[\s\p{Cc}]/u.test(text)) return new Invalid("it contains whitespace or control characters");
  if (IMAGE_ID.test(text)) {
    return new Invalid(
      "a 64-character hexadecimal string is an image ID, not a repository name",
      "Pin an image by digest as <repository>@sha256:<64 hex digits>.",
    );
  }
  if (text.includes("://")) {
    return new Invalid(
      "a URL scheme is not part of an image reference",
      'Leave out the scheme, e.g. "registry.example.com/app:1".',
    );
  }

  const at = text.indexOf("@");
  if (at >= 0 && text.indexOf("@", at + 1) >= 0) return new Invalid('it has more than one "@"');
  const named = at >= 0 ? text.slice(0, at) : text;
  const digest = at >= 0 ? text.slice(at + 1) : undefined;

  // The registry is split off the whole text, as the Docker CLI does, before the tag is looked for.
  const split = splitRegistry(named);
  if (split instanceof Invalid) return split;
  const { registry, remainder } = split;

  const colon = remainder.indexOf(":");
  const path = colon >= 0 ? remainder.slice(0, colon) : remainder;
  const tag = colon >= 0 ? remainder.slice(colon + 1) : undefined;

  if (path === "") return new Invalid("the repository name is empty");
  if (path.toLowerCase() !== path) {
    return new Invalid(
      `repository name "${path}" must be lower case`,
      "Docker repository names are lower case; tags may have upper case.",
    );
  }
  const repository = registry === DOCKER_HUB && !path.includes("/") ? OFFICIAL_PREFIX + path : path;
  const problem = checkRepository(repository) ?? (tag === undefined ? undefined : checkTag(tag));
  if (problem) return problem;
  if (digest !== undefined) {
    const digestProblem = checkDigest(digest);
    if (digestProblem) return digestProblem;
  }

  const ref: ImageRef = { registry, repository };
  if (tag !== undefined) ref.tag = tag;
  else if (digest === undefined) ref.tag = DEFAULT_TAG;
  if (digest !== undefined) ref.digest = digest;
  return ref;
}

function splitRegistry(named: string): { registry: string; remainder: string } | Invalid {
  const slash = named.indexOf("/");
  if (slash < 0) return { registry: DOCKER_HUB, remainder: named };
  const first = named.slice(0, slash);
  const rest = named.slice(slash + 1);
  if (first === "localhost") return { registry: first, remainder: rest };
  if (first === LEGACY_DOCKER_HUB) return { registry: DOCKER_HUB, remainder: rest };
  if (/[.:]/.test(first) || first.toLowerCase() !== first) {
    const problem = checkRegistry(first);
    return problem ?? { registry: first, remainder: rest };
  }
  return { registry: DOCKER_HUB, remainder: named };
}

function checkRegistry(registry: string): Invalid | undefined {
  if (!registry.startsWith("[") && registry.split(":").length > 2) {
    return new Invalid(
      `registry "${registry}" is not valid`,
      'Write an IPv6 address in brackets, such as "[fc00::1]:5000/app".',
    );
  }
  // The port follows the first ":" after any IPv6 brackets.
  const portColon = registry.startsWith("[")
    ? registry.indexOf(":", registry.indexOf("]"))
    : registry.indexOf(":");
  const host = portColon >= 0 ? registry.slice(0, portColon) : registry;
  const port = portColon >= 0 ? registry.slice(portColon + 1) : undefined;
  const hostOk = HOST_NAME.test(host) || IPV6_HOST.test(host);
  if (hostOk && (port === undefined || PORT.test(port))) return undefined;
  if (hostOk) return new Invalid(`registry "${registry}" has an invalid port "${port}": a port is a number`);
  return new Invalid(
    `registry "${registry}" is not a valid host name or address`,
    "A registry is a host name (letters, digits, dashes and dots), an IPv4 address or an IPv6 address in brackets, with an optional :port.",
  );
}

function checkRepository(repository: string): Invalid | undefined {
  for (const component of repository.split("/")) {
    if (component === "") return new Invalid(`repository "${repository}" has an empty path component`);
    if (!PATH_COMPONENT.test(component)) {
      return new Invalid(
        `repository path component "${component}" is not valid`,
        'A path component is lower-case letters and digits, separated by one ".", one or two "_", or dashes, and it starts and ends with a letter or digit.',
      );
    }
  }
  if (repository.length > MAX_REPOSITORY_LENGTH) {
    return new Invalid(
      `repository name is ${repository.length} characters long, more than the ${MAX_REPOSITORY_LENGTH} allowed`,
    );
  }
  return undefined;
}

function checkTag(tag: string): Invalid | undefined {
  if (tag === "") return new Invalid('the tag after ":" is empty');
  if (!TAG.test(tag)) {
    return new Invalid(
      `tag "${tag}" is not valid`,
      'A tag starts with a letter, digit or "_" and continues with letters, digits, "_", "." or "-".',
    );
  }
  if (tag.length > MAX_TAG_LENGTH) {
    return new Invalid(`tag is ${tag.length} characters long, more than the ${MAX_TAG_LENGTH} allowed`);
  }
  return undefined;
}

/** True when `text` is a manifest digest the Docker CLI accepts (`sha256:` and 64 lower-case hex digits, …). */
export function isImageDigest(text: string): boolean {
  return checkDigest(text) === undefined;
}

function checkDigest(digest: string): Invalid | undefined {
  const hint = "A digest reads <algorithm>:<hex>, such as sha256:<64 lower-case hex digits>.";
  if (digest === "") return new Invalid('the digest after "@" is empty', hint);
  const colon = digest.indexOf(":");
  const algorithm = colon >= 0 ? digest.slice(0, colon) : "";
  const encoded = colon >= 0 ? digest.slice(colon + 1) : "";
  if (!DIGEST_ALGORITHM.test(algorithm) || !DIGEST_HEX.test(encoded)) {
    return new Invalid(`digest "${digest}" is not valid`, hint);
  }
  const length = DIGEST_LENGTHS[algorithm];
  if (length === undefined) {
    return new Invalid(
      `digest algorithm "${algorithm}" is not supported`,
      "Supported digest algorithms: sha256, sha384, sha512.",
    );
  }
  if (encoded.length !== length) {
    return new Invalid(
      `a ${algorithm} digest has ${length} hex digits, this one has ${encoded.length}`,
      hint,
    );
  }
  if (encoded !== encoded.toLowerCase())
    return new Invalid(`digest "${digest}" must be lower-case hex`, hint);
  return undefined;
}

/** The repository without Docker Hub's registry and `library/` prefix, as the Docker CLI shows names. */
function familiarRepository(ref: ImageRef): string {
  if (!isDockerHub(ref.registry)) return `${ref.registry}/${ref.repository}`;
  const rest = ref.repository.startsWith(OFFICIAL_PREFIX)
    ? ref.repository.slice(OFFICIAL_PREFIX.length)
    : undefined;
  return rest !== undefined && !rest.includes("/") ? rest : ref.repository;
}

function isDockerHub(registry: string): boolean {
  return registry === DOCKER_HUB || registry === LEGACY_DOCKER_HUB;
}

function suffix(ref: ImageRef): string {
  return `${ref.tag ? `:${ref.tag}` : ""}${ref.digest ? `@${ref.digest}` : ""}`;
}

/**
 * The canonical reference: `docker.io/library/nginx:latest`, `registry:5000/app@sha256:…`, or
 * `registry/app:tag@sha256:…` when both are known. Docker Hub names get their `library/` prefix. An image
 * known only by its digest prints as `@sha256:…` (not a reference parseImageReference reads back).
 */
export function formatImageReference(ref: ImageRef): string {
  if (isDigestOnly(ref)) return suffix(ref);
  if (isDockerHub(ref.registry)) {
    const repository = ref.repository.includes("/") ? ref.repository : OFFICIAL_PREFIX + ref.repository;
    return `${DOCKER_HUB}/${repository}${suffix(ref)}`;
  }
  return `${ref.registry}/${ref.repository}${suffix(ref)}`;
}

/**
 * The short form the Docker CLI shows: `nginx:latest`, `user/app:1`, `localhost:5000/app@sha256:…`; an
 * image known only by its digest is `@sha256:…`.
 */
export function familiarName(ref: ImageRef): string {
  if (isDigestOnly(ref)) return suffix(ref);
  return `${familiarRepository(ref)}${suffix(ref)}`;
}
