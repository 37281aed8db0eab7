import { isIP } from "node:net";

/** The host Docker Hub's registry API is served from. */
export const DOCKER_HUB_API_HOST = "registry-1.docker.io";
/** The key Docker's config.json keeps Docker Hub credentials under. */
export const DOCKER_HUB_AUTH_KEY = "https://index.docker.io/v1/";

const DOCKER_HUB_NAMES = new Set([
  "docker.io",
  "index.docker.io",
  "registry-1.docker.io",
  "registry.hub.docker.com",
]);

/** True when the registry name means Docker Hub. */
export function isDockerHub(registry: string): boolean {
  return DOCKER_HUB_NAMES.has(registry.toLowerCase());
}

/** The host[:port] to send API requests to: `docker.io` becomes `registry-1.docker.io`. */
export function apiHost(registry: string): string {
  return isDockerHub(registry) ? DOCKER_HUB_API_HOST : registry;
}

/** The host part of `host[:port]` or `[v6]:port`, without brackets. */
export function hostName(hostPort: string): string {
  if (hostPort.startsWith("[")) {
    const end = hostPort.indexOf("]");
    return end < 0 ? hostPort : hostPort.slice(1, end);
  }
  const colon = hostPort.lastIndexOf(":");
  return colon < 0 ? hostPort : hostPort.slice(0, colon);
}

/** True for loopback hosts (localhost, 127.0.0.0/8, ::1), where plain HTTP is always allowed. */
export function isLoopback(hostPort: string): boolean {
  const host = hostName(hostPort).toLowerCase();
  if (host === "localhost" || host.endsWith(".localhost")) return true;
  if (isIP(host) === 4) return host.startsWith("127.");
  if (isIP(host) === 6) return host === "::1" || host === "0:0:0:0:0:0:0:1";
  return false;
}

/**
 * True when plain HTTP may be used for the registry: loopback, or listed in `insecure` (by host[:port],
 * or by host alone to allow every port).
 */
export function plainHttpAllowed(hostPort: string, insecure: readonly string[]): boolean {
  if (isLoopback(hostPort)) return true;
  const wanted = hostPort.toLowerCase();
  return insecure.some((entry) => {
    const e = entry
      .trim()
      .toLowerCase()
      .replace(/^[a-z]+:\/\//, "")
      .replace(/\/.*$/, "");
    return e === wanted || e === hostName(wanted);
  });
}

/** Normalises a config.json `auths` key (`https://host/v1/`, `host`, `http://host:5000`) to host[:port]. */
export function authKeyHost(key: string): string {
  return key
    .trim()
    .toLowerCase()
    .replace(/^[a-z]+:\/\//, "")
    .replace(/\/.*$/, "");
}
