import type { Distro } from "../model/facts.js";
import { packageKey } from "./package-names.js";

/** A package as matching needs it: what a layer analysis or an SBOM gives. */
export interface MatchablePackage {
  name: string;
  version: string;
  /** Package type (`dpkg`, `apk`, `rpm`, `npm`, `python`, `gem`, `java`, `go`, `cargo`…). */
  type: string;
  purl?: string;
  sourceName?: string;
  sourceVersion?: string;
  path?: string;
}

/** Where to look a package up: its base ecosystem, the names to look under, the version, the releases accepted. */
export interface LookupPlan {
  ecosystemBase: string;
  names: string[];
  version: string;
  /** Whether an affected entry's full ecosystem string (`Debian:12`, `Alpine:v3.17`) applies to this package. */
  accepts: (ecosystem: string) => boolean;
}

interface ParsedPurl {
  type: string;
  namespace?: string;
  name: string;
  version?: string;
  qualifiers: Record<string, string>;
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** A package URL's parts (enough of the purl spec for matching); undefined when it is not a purl. */
export function parsePackageUrl(text: string): ParsedPurl | undefined {
  if (!text.startsWith("pkg:") || text.length > 4096) return undefined;
  let rest = text.slice(4);
  const hash = rest.indexOf("#");
  if (hash >= 0) rest = rest.slice(0, hash);
  const qualifiers: Record<string, string> = {};
  const question = rest.indexOf("?");
  if (question >= 0) {
    for (const pair of rest.slice(question + 1).split("&")) {
      const eq = pair.indexOf("=");
      if (eq > 0) qualifiers[pair.slice(0, eq).toLowerCase()] = decode(pair.slice(eq + 1));
    }
    rest = rest.slice(0, question);
  }
  const slash = rest.indexOf("/");
  if (slash <= 0) return undefined;
  const type = rest.slice(0, slash).toLowerCase();
  let path = rest.slice(slash + 1).replace(/^\/+|\/+$/g, "");
  let version: string | undefined;
  const at = path.lastIndexOf("@");
  if (at >= 0) {
    version = decode(path.slice(at + 1));
    path = path.slice(0, at);
  }
  const segments = path.split("/").map(decode);
  const name = segments.pop();
  if (name === undefined || name === "") return undefined;
  const parsed: ParsedPurl = { type, name, qualifiers };
  if (segments.length > 0) parsed.namespace = segments.join("/");
  if (version !== undefined) parsed.version = version;
  return parsed;
}

// Package types (ours, the scanners', and purl types) to the OSV ecosystem of language packages.
const LANGUAGE_ECOSYSTEMS: Record<string, string> = {
  npm: "npm",
  "node-pkg": "npm",
  yarn: "npm",
  pnpm: "npm",
  python: "PyPI",
  pypi: "PyPI",
  pip: "PyPI",
  poetry: "PyPI",
  pipenv: "PyPI",
  gem: "RubyGems",
  gemspec: "RubyGems",
  bundler: "RubyGems",
  java: "Maven",
  maven: "Maven",
  jar: "Maven",
  "java-archive": "Maven",
  gradle: "Maven",
  go: "Go",
  golang: "Go",
  gomod: "Go",
  gobinary: "Go",
  "go-module": "Go",
  cargo: "crates.io",
  rust: "crates.io",
  "rust-crate": "crates.io",
  nuget: "NuGet",
  dotnet: "NuGet",
  composer: "Packagist",
  php: "Packagist",
  hex: "Hex",
  pub: "Pub",
  swift: "SwiftURL",
  cran: "CRAN",
  hackage: "Hackage",
};

const OS_TYPES: Record<string, "dpkg" | "apk" | "rpm"> = {
  dpkg: "dpkg",
  deb: "dpkg",
  debian: "dpkg",
  apk: "apk",
  alpine: "apk",
  rpm: "rpm",
};

/** A distribution from a purl's `distro` qualifier: `debian-9`, `alpine-3.17.2`, `ubuntu-18.04`, `bionic`. */
function distroFromQualifier(value: string | undefined): Distro | undefined {
  if (value === undefined) return undefined;
  const match = /^([a-z][a-z.]*?)-(\d[\w.]*)$/i.exec(value);
  if (match !== null) return { name: (match[1] as string).toLowerCase(), version: match[2] as string };
  return undefined;
}

function major(version: string): string {
  return version.split(".")[0] as string;
}

// The package manager of each distribution: a distribution's release applies to its own packages only.
const FAMILIES: Record<string, "dpkg" | "apk" | "rpm"> = {
  debian: "dpkg",
  ubuntu: "dpkg",
  alpine: "apk",
  wolfi: "apk",
  chainguard: "apk",
};

/** The base ecosystem and accepted release ecosystems of a distribution; undefined when OSV has none for it. */
function releaseAcceptor(
  distro: Distro | undefined,
  family: "dpkg" | "apk" | "rpm",
): Omit<LookupPlan, "names" | "version"> | undefined {
  const name = (distro?.name ?? "").toLowerCase();
  if ((FAMILIES[name] ?? "rpm") !== family) return undefined;
  const version = distro?.version ?? "";
  const exactly = (base: string, ...ecosystems: string[]) => ({
    ecosystemBase: base,
    accepts: (ecosystem: string) => ecosystems.includes(ecosystem),
  });
  switch (name) {
    case "debian":
      // Without a release only unscoped entries can be trusted: releases differ in fixed versions.
      return version === "" ? exactly("Debian", "Debian") : exactly("Debian", `Debian:${major(version)}`);
    case "ubuntu": {
      const release = /^(\d+\.\d+)/.exec(version)?.[1];
      if (release === undefined) return exactly("Ubuntu", "Ubuntu");
      // LTS releases carry `:LTS`; Ubuntu Pro (ESM) entries list what an ESM-less system lacks too.
      return exactly(
        "Ubuntu",
        `Ubuntu:${release}`,
        `Ubuntu:${release}:LTS`,
        `Ubuntu:Pro:${release}`,
        `Ubuntu:Pro:${release}:LTS`,
      );
    }
    case "alpine": {
      const branch = /^(\d+\.\d+)/.exec(version)?.[1];
      return branch === undefined ? exactly("Alpine", "Alpine") : exactly("Alpine", `Alpine:v${branch}`);
    }
    case "wolfi":
      return exactly("Wolfi", "Wolfi");
    case "chainguard":
      return exactly("Chainguard", "Chainguard");
    case "almalinux":
    case "alma":
      return exactly("AlmaLinux", `AlmaLinux:${major(version)}`, ...(version === "" ? ["AlmaLinux"] : []));
    case "rocky":
    case "rockylinux":
      return exactly(
        "Rocky Linux",
        `Rocky Linux:${major(version)}`,
        ...(version === "" ? ["Rocky Linux"] : []),
      );
    case "rhel":
    case "redhat": {
      // `Red Hat:<product>:<version>::<stream>`: the plain product by major release, any product by exact release.
      const wanted = major(version);
      return {
        ecosystemBase: "Red Hat",
        accepts: (ecosystem: string) => {
          const parts = ecosystem.split(":");
          const product = parts[1] ?? "";
          const release = parts[2] ?? "";
          if (version === "") return false;
          if (release === version) return true;
          return product === "enterprise_linux" && major(release) === wanted;
        },
      };
    }
    case "azurelinux":
    case "azure linux":
      return exactly("Azure Linux", `Azure Linux:${version}`, `Azure Linux:${major(version)}.0`);
    case "mariner":
    case "cbl-mariner":
      return exactly("Mariner", `Mariner:${version}`, `Mariner:${major(version)}.0`);
    case "photon":
      return exactly("Photon OS", `Photon OS:${version}`, `Photon OS:${major(version)}.0`);
    case "mageia":
      return exactly("Mageia", `Mageia:${version}`);
    case "openeuler":
      return exactly("openEuler", `openEuler:${version}`);
    case "sles":
    case "sled":
    case "suse": {
      // SUSE names releases by PRETTY_NAME: 15.3 is "... 15 SP3".
      const [maj, minor] = version.split(".");
      const tag = minor === undefined || minor === "0" ? `${maj}` : `${maj} SP${minor}`;
      return {
        ecosystemBase: "SUSE",
        accepts: (ecosystem: string) => version !== "" && new RegExp(`[^\\d]${tag}$`).test(ecosystem),
      };
    }
    case "opensuse-leap":
    case "opensuse.leap":
    case "opensuse":
      return {
        ecosystemBase: "openSUSE",
        accepts: (ecosystem: string) => ecosystem === `openSUSE:Leap ${version}`,
      };
    case "opensuse-tumbleweed":
    case "opensuse.tumbleweed":
      return exactly("openSUSE", "openSUSE:Tumbleweed");
    default:
      // Guessing a release of another distribution would report its fixes as ours.
      return undefined;
  }
}

// Go puts a `v` before versions and `go` before toolchain versions of the standard library.
function goVersion(name: string, version: string): string {
  if (name === "stdlib" || name === "toolchain") return version.replace(/^go/, "");
  return version;
}

/**
 * Where to look a package up in the database, from its type (or purl type) and, for distribution
 * packages, the distribution (or the purl's `distro` qualifier). Undefined when no OSV ecosystem fits.
 * Distribution packages are looked up under their source package (Debian, Ubuntu and Alpine advisories
 * name source packages) and, for rpm distributions whose advisories name binaries, under their own name too.
 */
export function lookupPlan(pkg: MatchablePackage, distro?: Distro): LookupPlan | undefined {
  const purl = pkg.purl === undefined ? undefined : parsePackageUrl(pkg.purl);
  const type = pkg.type.toLowerCase();
  const osFamily = OS_TYPES[type] ?? (purl === undefined ? undefined : OS_TYPES[purl.type]);
  if (osFamily !== undefined) {
    const fromPurl = distroFromQualifier(purl?.qualifiers.distro);
    const namespace = purl?.namespace?.toLowerCase();
    const candidates = [distro, fromPurl, namespace === undefined ? undefined : { name: namespace }];
    const release = candidates
      .map((candidate) => (candidate === undefined ? undefined : releaseAcceptor(candidate, osFamily)))
      .find((found) => found !== undefined);
    if (release === undefined) return undefined;
    const upstream = purl?.qualifiers.upstream;
    // purl `upstream` is `name` or `name@version` (Syft) for the source package.
    const sourceFromPurl = upstream === undefined ? undefined : upstream.split("@")[0];
    const source = pkg.sourceName ?? sourceFromPurl;
    const names = osFamily === "rpm" ? [pkg.name, source] : [source ?? pkg.name];
    const version = osFamily === "dpkg" ? (pkg.sourceVersion ?? pkg.version) : pkg.version;
    return { ...release, names: unique(names), version };
  }
  const ecosystem =
    LANGUAGE_ECOSYSTEMS[type] ?? (purl === undefined ? undefined : LANGUAGE_ECOSYSTEMS[purl.type]);
  if (ecosystem === undefined) return undefined;
  let name = pkg.name;
  if (ecosystem === "Maven" && !name.includes(":") && purl?.namespace !== undefined) {
    name = `${purl.namespace}:${purl.name}`;
  } else if (ecosystem === "Go" && purl?.namespace !== undefined && !name.includes("/")) {
    name = `${purl.namespace}/${purl.name}`;
  } else if (ecosystem === "npm" && purl?.namespace !== undefined && !name.startsWith("@")) {
    name = `${purl.namespace}/${purl.name}`;
  }
  const version = ecosystem === "Go" ? goVersion(name, pkg.version) : pkg.version;
  return {
    ecosystemBase: ecosystem,
    // Language ecosystems may carry a registry suffix (`Maven:https://maven.google.com`); all apply.
    accepts: (candidate: string) => candidate === ecosystem || candidate.startsWith(`${ecosystem}:`),
    names: [packageKey(ecosystem, name)],
    version,
  };
}

function unique(names: (string | undefined)[]): string[] {
  return [...new Set(names.filter((n): n is string => n !== undefined && n !== ""))];
}
