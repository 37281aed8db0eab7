import { endianness } from "node:os";
import { CipError, type Platform } from "../model/index.js";
import type { IndexEntry } from "./manifest.js";

const PLATFORM_HINT =
  'A platform reads os/architecture[/variant], such as "linux/amd64" or "linux/arm64/v8".';

/** Architecture spellings other tools print, by the OCI name (GOARCH) they stand for. */
const ARCH_ALIASES: Readonly<Record<string, { architecture: string; variant?: string }>> = {
  x86_64: { architecture: "amd64" },
  "x86-64": { architecture: "amd64" },
  x64: { architecture: "amd64" },
  aarch64: { architecture: "arm64" },
  armhf: { architecture: "arm", variant: "v7" },
  armel: { architecture: "arm", variant: "v6" },
  i386: { architecture: "386" },
  i686: { architecture: "386" },
};

/** The variant an architecture means when none is written (arm64 is v8, 32-bit arm is v7). */
const DEFAULT_VARIANTS: Readonly<Record<string, string>> = { arm64: "v8", arm: "v7" };

/**
 * Parses `os/architecture[/variant]` (`linux/arm64/v8`), lower case; `aarch64`, `x86_64`, `armhf` and a
 * bare variant number (`linux/arm/7`) are read as the OCI names. Throws CIP_USAGE when malformed.
 */
export function parsePlatform(text: string): Platform {
  const parts = text.trim().toLowerCase().split("/");
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => !/^[a-z0-9._-]+$/.test(p))) {
    throw new CipError(
      "CIP_USAGE",
      `Cannot parse platform ${JSON.stringify(text)}: expected os/architecture[/variant]`,
      {
        hint: PLATFORM_HINT,
      },
    );
  }
  const [os, arch, variant] = parts as [string, string, string | undefined];
  const alias = ARCH_ALIASES[arch];
  const platform: Platform = { os, architecture: alias?.architecture ?? arch };
  const v = variant ?? alias?.variant;
  if (v !== undefined) platform.variant = /^\d+$/.test(v) ? `v${v}` : v;
  return platform;
}

/** Prints a platform as `os/architecture[/variant]`. */
export function formatPlatform(platform: Platform): string {
  return [platform.os, platform.architecture, platform.variant]
    .filter((p) => p !== undefined && p !== "")
    .join("/");
}

/**
 * The platform of this machine as OCI names it: Node's `x64` is `amd64`, `arm64` is `arm64` variant `v8`,
 * `ia32` is `386`. macOS and Windows hosts default to `linux` images for macOS (containers run in a Linux VM)
 * and `windows` for Windows. Arguments default to the running process, so tests can pass others.
 */
export function defaultPlatform(
  nodePlatform: string = process.platform,
  nodeArch: string = process.arch,
  armVersion: string | number | undefined = (process.config.variables as Record<string, unknown>)
    .arm_version as string | undefined,
): Platform {
  const os = nodePlatform === "win32" ? "windows" : nodePlatform === "darwin" ? "linux" : nodePlatform;
  switch (nodeArch) {
    case "x64":
      return { os, architecture: "amd64" };
    case "arm64":
      return { os, architecture: "arm64", variant: "v8" };
    case "arm":
      return { os, architecture: "arm", variant: `v${armVersion ?? 7}` };
    case "ia32":
      return { os, architecture: "386" };
    case "ppc64":
      // Node says ppc64 for both byte orders; Linux distributions ship ppc64le.
      return { os, architecture: endianness() === "LE" ? "ppc64le" : "ppc64" };
    case "mipsel":
      return { os, architecture: "mipsle" };
    case "mips64el":
      return { os, architecture: "mips64le" };
    default:
      return { os, architecture: nodeArch };
  }
}

/** True for entries that describe no runnable image: BuildKit attestations (`unknown/unknown`). */
function isAttestation(entry: IndexEntry): boolean {
  return (
    (entry.platform?.os === "unknown" && entry.platform.architecture === "unknown") ||
    entry.annotations?.["vnd.docker.reference.type"] === "attestation-manifest"
  );
}

function variantOf(p: { architecture: string; variant?: string }): string | undefined {
  return p.variant ?? DEFAULT_VARIANTS[p.architecture];
}

/**
 * Chooses the index entry for `wanted`: same os and architecture, then the exact variant; an absent variant
 * equals the default one (arm64 = v8, arm = v7); when `wanted` has no variant any variant will do, the
 * default first. Attestation entries (`unknown/unknown`) are never chosen. An index whose only entry has no
 * platform (an OCI layout wrapping one image) gives that entry. Throws CIP_USAGE listing what is available.
 */
export function selectPlatform(
  index: { manifests: IndexEntry[] },
  wanted: Platform,
  where = "image index",
): IndexEntry {
  const entries = index.manifests.filter((e) => !isAttestation(e));
  const withPlatform = entries.filter((e) => e.platform !== undefined);
  if (withPlatform.length === 0 && entries.length === 1) return entries[0] as IndexEntry;
  const same = withPlatform.filter(
    (e) => e.platform?.os === wanted.os && e.platform.architecture === wanted.architecture,
  );
  const exact = same.find((e) => e.platform?.variant === wanted.variant);
  if (exact !== undefined) return exact;
  const wantedVariant = variantOf(wanted);
  const equivalent = same.find((e) => e.platform !== undefined && variantOf(e.platform) === wantedVariant);
  if (equivalent !== undefined) return equivalent;
  if (wanted.variant === undefined && same.length > 0) return same[0] as IndexEntry;
  const available = [...new Set(withPlatform.map((e) => formatPlatform(e.platform as Platform)))];
  throw new CipError(
    "CIP_USAGE",
    `Cannot choose a platform: ${formatPlatform(wanted)} is not in the index, which has ${available.length === 0 ? "no platforms" : available.join(", ")} (${where})`,
    { hint: "Pass --platform with one of the platforms listed." },
  );
}
