import { existsSync } from "node:fs";

/** Where an image argument points: a registry reference, an OCI layout directory, or a docker-archive tarball. */
export type ImageArgument =
  | { kind: "registry"; reference: string }
  | { kind: "oci-layout"; path: string; tag?: string }
  | { kind: "docker-archive"; path: string; tag?: string };

/**
 * Reads an image argument as skopeo writes them: `docker://REF` or a plain reference (registry),
 * `oci:DIR[:TAG]`, `docker-archive:FILE[:REF]`. The path is the longest prefix that exists, so paths with
 * colons still work.
 */
export function parseImageArgument(
  text: string,
  exists: (path: string) => boolean = existsSync,
): ImageArgument {
  if (text.startsWith("docker://")) return { kind: "registry", reference: text.slice("docker://".length) };
  for (const [prefix, kind] of [
    ["oci:", "oci-layout"],
    ["docker-archive:", "docker-archive"],
  ] as const) {
    if (!text.startsWith(prefix)) continue;
    const rest = text.slice(prefix.length);
    let cut = rest.length;
    // Try the whole text, then shorter prefixes ending before each colon, longest first.
    while (cut > 0 && !exists(rest.slice(0, cut))) {
      const colon = rest.lastIndexOf(":", cut - 1);
      if (colon <= 0) {
        cut = rest.length;
        break;
      }
      cut = colon;
    }
    const path = rest.slice(0, cut);
    const tag = cut < rest.length ? rest.slice(cut + 1) : undefined;
    return tag ? { kind, path, tag } : { kind, path };
  }
  return { kind: "registry", reference: text };
}
