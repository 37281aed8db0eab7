import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { CipError } from "../../model/index.js";
import { authKeyHost, DOCKER_HUB_AUTH_KEY, isDockerHub } from "./registry-host.js";

/** Registry credentials: a user name and password (or token), or an OAuth2 identity (refresh) token. */
export type RegistryCredentials = { username: string; password: string } | { identityToken: string };

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
 * Reads the credentials config.json holds for a registry (`auths[host]`: `auth` is base64 `user:pass`,
 * `identitytoken` an OAuth2 refresh token). Docker Hub's entry is `https://index.docker.io/v1/`; other
 * keys match by host[:port] whatever their scheme or path. A missing file gives undefined (anonymous).
 * Credential helpers (`credsStore`, `credHelpers`) are not run.
 */
export function readDockerConfigCredentials(path: string, registry: string): RegistryCredentials | undefined {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === "ENOENT" || code === "ENOTDIR") return undefined;
    throw new CipError(
      "CIP_FILE_READ",
      `Cannot read the Docker config: ${(error as Error).message} (${path})`,
      {
        hint: "Make the file readable, or point DOCKER_CONFIG at another directory.",
        cause: error,
      },
    );
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
  const auths = (parsed as { auths?: unknown } | null)?.auths;
  if (auths === null || typeof auths !== "object") return undefined;
  const entries = auths as Record<string, AuthEntry>;
  const entry = findEntry(entries, registry);
  return entry === undefined ? undefined : entryCredentials(entry, path, registry);
}

function findEntry(entries: Record<string, AuthEntry>, registry: string): AuthEntry | undefined {
  if (isDockerHub(registry)) {
    const hub = entries[DOCKER_HUB_AUTH_KEY];
    if (hub !== undefined) return hub;
    const key = Object.keys(entries).find((k) => isDockerHub(authKeyHost(k)));
    return key === undefined ? undefined : entries[key];
  }
  const wanted = registry.toLowerCase();
  const exact = entries[registry];
  if (exact !== undefined) return exact;
  const key = Object.keys(entries).find((k) => authKeyHost(k) === wanted);
  return key === undefined ? undefined : entries[key];
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
