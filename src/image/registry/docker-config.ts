import { homedir } from "node:os";
import { join } from "node:path";
import { readBoundedSync } from "../../io/bounded-read.js";
import { CipError } from "../../model/index.js";
import { runCredentialHelper } from "./credential-helper.js";
import { authKeyHost, DOCKER_HUB_AUTH_KEY, isDockerHub } from "./registry-host.js";

/** Registry credentials: a user name and password (or token), or an OAuth2 identity (refresh) token. */
export type RegistryCredentials = { username: string; password: string } | { identityToken: string };

/** Docker's config.json holds a few credentials: far below this, and a device or pipe in its place ends here. */
export const MAX_DOCKER_CONFIG_BYTES = 16 * 1024 * 1024;

/** Where Docker keeps config.json: `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`. */
export function defaultDockerConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  const dir = env.DOCKER_CONFIG;
  return dir !== undefined && dir !== ""
    ? join(dir, "config.json")
    : join(homedir(), ".docker", "config.json");
}

interface AuthEntry {
  auth?: unknown;
  username?: unknown;
  password?: unknown;
  identitytoken?: unknown;
}

/**
 * Reads the credentials Docker's config.json gives for a registry, as the Docker CLI does: the credential
 * helper `credHelpers[host]` names, else the default helper `credsStore`, else `auths[host]` (`auth` is
 * base64 `user:pass`, `identitytoken` an OAuth2 refresh token). A helper, when configured, is the only
 * source: it runs as `docker-credential-<name> get` (found on `env.PATH`) and "credentials not found"
 * means anonymous, `auths` is not consulted. Docker Hub's key and helper server URL is
 * `https://index.docker.io/v1/`, another registry's its host[:port]; keys match by host[:port] whatever
 * their scheme or path. A missing file gives undefined (anonymous).
 */
export function readDockerConfigCredentials(
  path: string,
  registry: string,
  env: NodeJS.ProcessEnv = process.env,
): RegistryCredentials | undefined {
  const config = readConfig(path);
  if (config === undefined) return undefined;
  const helper = configuredHelper(config, path, registry);
  if (helper !== undefined) {
    const serverUrl = isDockerHub(registry) ? DOCKER_HUB_AUTH_KEY : registry;
    return runCredentialHelper(
      helper.name,
      serverUrl,
      { registry, configPath: path, field: helper.field },
      env,
    );
  }
  const auths = config.auths;
  if (auths === null || typeof auths !== "object") return undefined;
  const entries = auths as Record<string, AuthEntry>;
  const key = findKey(Object.keys(entries), registry);
  return key === undefined ? undefined : entryCredentials(entries[key] ?? {}, path, registry);
}

interface DockerConfig {
  auths?: unknown;
  credHelpers?: unknown;
  credsStore?: unknown;
}

function readConfig(path: string): DockerConfig | undefined {
  let text: string;
  try {
    text = readBoundedSync(path, {
      maxBytes: MAX_DOCKER_CONFIG_BYTES,
      what: "the Docker config",
      where: path,
      limitName: "Docker config",
      limitHint:
        "Point DOCKER_CONFIG at a directory holding Docker's own config.json (docker login writes it).",
    }).toString("utf8");
  } catch (error) {
    const code = (error as { cause?: { code?: unknown } }).cause?.code;
    if (code === "ENOENT" || code === "ENOTDIR") return undefined;
    throw error;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new CipError("CIP_PARSE", `Cannot read the Docker config: it is not valid JSON (${path})`, {
      hint: "Fix or remove the file (docker login rewrites it).",
      cause: error,
    });
  }
  return parsed !== null && typeof parsed === "object" ? (parsed as DockerConfig) : {};
}

/** The helper for the registry: its `credHelpers` entry, else `credsStore`; "" in either means none. */
function configuredHelper(
  config: DockerConfig,
  path: string,
  registry: string,
): { name: string; field: string } | undefined {
  const helpers = config.credHelpers;
  if (helpers !== null && typeof helpers === "object") {
    const map = helpers as Record<string, unknown>;
    const key = findKey(Object.keys(map), registry);
    if (key !== undefined) {
      const field = `credHelpers[${JSON.stringify(key)}]`;
      return helperName(map[key], field, path, registry);
    }
  }
  return config.credsStore === undefined
    ? undefined
    : helperName(config.credsStore, "credsStore", path, registry);
}

function helperName(
  value: unknown,
  field: string,
  path: string,
  registry: string,
): { name: string; field: string } | undefined {
  if (typeof value !== "string") {
    throw new CipError(
      "CIP_PARSE",
      `Cannot use the Docker config for ${registry}: ${field} is not a string (${path})`,
      {
        hint: 'Write the helper\'s name suffix, e.g. "pass" for docker-credential-pass, or remove the entry.',
      },
    );
  }
  // Docker treats an empty name as no helper: the file's own auths are used.
  return value === "" ? undefined : { name: value, field };
}

/** The config key naming the registry: the exact name first, then any key whose host[:port] matches. */
function findKey(keys: string[], registry: string): string | undefined {
  if (isDockerHub(registry)) {
    if (keys.includes(DOCKER_HUB_AUTH_KEY)) return DOCKER_HUB_AUTH_KEY;
    return keys.find((k) => isDockerHub(authKeyHost(k)));
  }
  if (keys.includes(registry)) return registry;
  const wanted = registry.toLowerCase();
  return keys.find((k) => authKeyHost(k) === wanted);
}

function entryCredentials(entry: AuthEntry, path: string, registry: string): RegistryCredentials | undefined {
  if (typeof entry.identitytoken === "string" && entry.identitytoken !== "") {
    return { identityToken: entry.identitytoken };
  }
  if (typeof entry.auth === "string" && entry.auth !== "") {
    const decoded = Buffer.from(entry.auth, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    if (colon <= 0) {
      throw new CipError(
        "CIP_REGISTRY",
        `Cannot use the Docker config credentials for ${registry}: "auth" is not base64 of user:password (${path})`,
        { hint: `Log in again with docker login ${registry}, or pass credentials explicitly.` },
      );
    }
    return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  if (typeof entry.username === "string" && typeof entry.password === "string") {
    return { username: entry.username, password: entry.password };
  }
  return undefined;
}
