import type { Distro } from "../model/index.js";

/** The components of a package URL (https://github.com/package-url/purl-spec). */
export interface PurlParts {
  type: string;
  /** Slash-separated segments (`@scope`, a Maven group, a Go module path's prefix). */
  namespace?: string;
  name: string;
  version?: string;
  /** Left out when empty; keys are lower-cased and sorted as the spec orders them. */
  qualifiers?: Record<string, string | undefined>;
}

/**
 * Percent-encodes a purl component: everything but ASCII letters, digits, `.-_~` and `:` (which the spec
 * says is never encoded), after UTF-8 encoding.
 */
export function encodePurlComponent(text: string): string {
  let out = "";
  for (const byte of Buffer.from(text, "utf8")) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9._~:-]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

/** Prints a canonical purl from its parts: each namespace segment, the name, version and qualifier values encoded. */
export function formatPurl(parts: PurlParts): string {
  let purl = `pkg:${parts.type.toLowerCase()}/`;
  const segments = (parts.namespace ?? "").split("/").filter((s) => s !== "");
  if (segments.length > 0) purl += `${segments.map(encodePurlComponent).join("/")}/`;
  purl += encodePurlComponent(parts.name);
  if (parts.version !== undefined && parts.version !== "") purl += `@${encodePurlComponent(parts.version)}`;
  const qualifiers = Object.entries(parts.qualifiers ?? {})
    .filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== "")
    .map(([key, value]) => [key.toLowerCase(), value] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (qualifiers.length > 0) {
    purl += `?${qualifiers.map(([key, value]) => `${key}=${encodePurlComponent(value)}`).join("&")}`;
  }
  return purl;
}

/** `debian-11`, `alpine-3.18.4`: the distro qualifier syft and trivy write, or undefined without a version. */
function distroQualifier(distro: Distro | undefined): string | undefined {
  if (distro?.name === undefined || distro.name === "" || !distro.version) return undefined;
  return `${distro.name.toLowerCase()}-${distro.version}`;
}

/** Debian package purl: `pkg:deb/debian/curl@7.74.0-1.3?arch=amd64&distro=debian-11` (namespace from the distro). */
export function debPurl(name: string, version: string, arch?: string, distro?: Distro): string {
  return formatPurl({
    type: "deb",
    namespace: (distro?.name || "debian").toLowerCase(),
    name: name.toLowerCase(),
    version,
    qualifiers: { arch, distro: distroQualifier(distro) },
  });
}

/** Alpine package purl: `pkg:apk/alpine/musl@1.2.4-r2?arch=x86_64&distro=alpine-3.18.4`. */
export function apkPurl(name: string, version: string, arch?: string, distro?: Distro): string {
  return formatPurl({
    type: "apk",
    namespace: (distro?.name || "alpine").toLowerCase(),
    name: name.toLowerCase(),
    version,
    qualifiers: { arch, distro: distroQualifier(distro) },
  });
}

/** npm purl; a scoped name's scope becomes the namespace (`pkg:npm/%40angular/core@1.0.0`), lower-cased. */
export function npmPurl(name: string, version: string): string {
  const lower = name.toLowerCase();
  const slash = lower.startsWith("@") ? lower.indexOf("/") : -1;
  return slash > 0
    ? formatPurl({ type: "npm", namespace: lower.slice(0, slash), name: lower.slice(slash + 1), version })
    : formatPurl({ type: "npm", name: lower, version });
}

/** PyPI purl; the name lower-cased with `_` as `-`, as the purl spec's pypi type requires. */
export function pypiPurl(name: string, version: string): string {
  return formatPurl({ type: "pypi", name: name.toLowerCase().replaceAll("_", "-"), version });
}

/** RubyGems purl: `pkg:gem/rake@13.0.3`. */
export function gemPurl(name: string, version: string): string {
  return formatPurl({ type: "gem", name, version });
}

/** Maven purl: `pkg:maven/org.opensaml/opensaml-core@3.4.6`. */
export function mavenPurl(groupId: string, artifactId: string, version: string): string {
  return formatPurl({ type: "maven", namespace: groupId, name: artifactId, version });
}

/** Go module purl: the module path's last segment is the name, the rest the namespace. */
export function golangPurl(modulePath: string, version: string): string {
  const slash = modulePath.lastIndexOf("/");
  return slash < 0
    ? formatPurl({ type: "golang", name: modulePath, version })
    : formatPurl({
        type: "golang",
        namespace: modulePath.slice(0, slash),
        name: modulePath.slice(slash + 1),
        version,
      });
}
