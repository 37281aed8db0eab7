import type { ImageRef } from "./image-ref.js";
import type { Severity } from "./severity.js";

/** Where a piece of facts came from: a scanner report, the registry, a layer analysis, the user. */
export interface Provenance {
  /** Source kind or tool name (`trivy`, `grype`, `registry`, `docker-archive`, `user`). */
  source: string;
  /** Tool version, when the source reports one. */
  version?: string;
  /** When the source produced its data (RFC 3339). */
  producedAt?: string;
  /** When the vulnerability database used was built or last synced (RFC 3339). */
  dbUpdatedAt?: string;
  /** File or URL the data was read from. */
  location?: string;
}

/** Image platform as OCI names it. */
export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

/** Runtime configuration of an image (the `config` object of the OCI image config). */
export interface ImageConfig {
  user?: string;
  env?: string[];
  /** Exposed ports as written in the config, such as `80/tcp`. */
  exposedPorts?: string[];
  labels?: Record<string, string>;
  entrypoint?: string[];
  cmd?: string[];
  workdir?: string;
  healthcheck?: { test: string[]; interval?: number; timeout?: number; retries?: number };
  stopSignal?: string;
  volumes?: string[];
  /** Image creation time (RFC 3339). */
  created?: string;
}

/** How the Dockerfile facts were obtained, as anchore-engine names the modes. */
export type DockerfileMode = "actual" | "guessed" | "unknown";

/** One Dockerfile instruction: `directive` is upper case (`USER`), `value` the text after it. */
export interface DockerfileInstruction {
  directive: string;
  value: string;
  /** 1-based line in the Dockerfile, or position in the image history. */
  line?: number;
}

/** Every Dockerfile instruction, in the order anchore-engine lists them. */
export const DOCKERFILE_DIRECTIVES: readonly string[] = [
  "ADD",
  "ARG",
  "COPY",
  "CMD",
  "ENTRYPOINT",
  "ENV",
  "EXPOSE",
  "FROM",
  "HEALTHCHECK",
  "LABEL",
  "MAINTAINER",
  "ONBUILD",
  "USER",
  "RUN",
  "SHELL",
  "STOPSIGNAL",
  "VOLUME",
  "WORKDIR",
];

/** The Dockerfile of an image, given by the user (`actual`) or rebuilt from the history (`guessed`). */
export interface Dockerfile {
  mode: DockerfileMode;
  instructions: DockerfileInstruction[];
}

/** A layer of the image. */
export interface Layer {
  digest: string;
  size?: number;
  mediaType?: string;
}

/** The operating system distribution found in the image. */
export interface Distro {
  /** Distribution id as in os-release `ID` (`debian`, `alpine`, `rhel`). */
  name: string;
  version?: string;
  /** os-release `ID_LIKE` entries. */
  like?: string[];
}

/** Package types anchore-engine counts as not belonging to the OS. */
export const NON_OS_PACKAGE_TYPES: readonly string[] = [
  "java",
  "python",
  "npm",
  "gem",
  "maven",
  "js",
  "composer",
  "nuget",
  "binary",
  "go",
];

/** An installed package. `type` is the ecosystem (`dpkg`, `rpm`, `apk`, `npm`, `python`, `java`, …). */
export interface Package {
  name: string;
  version: string;
  type: string;
  /** Location of a language package in the image filesystem. */
  path?: string;
  purl?: string;
  licenses?: string[];
  /** The source package it was built from (dpkg `Source:`, rpm SOURCERPM, apk origin), when it differs or is known. */
  sourceName?: string;
  sourceVersion?: string;
  /** Architecture as the package database writes it (`amd64`, `x86_64`, `noarch`). */
  arch?: string;
  /** Digest of the layer that added it, when a layer analysis found it. */
  layer?: string;
}

/** The package a vulnerability was found in. */
export type PackageRef = Pick<Package, "name" | "version" | "type" | "path" | "purl" | "sourceName">;

/** One CVSS assessment of a vulnerability. */
export interface CvssEntry {
  /** CVSS version: `2.0`, `3.0`, `3.1`, `4.0`. */
  version: string;
  /** `nvd` for NVD scores, `vendor` for the distribution's or any other vendor's. */
  source: "nvd" | "vendor";
  /** The organisation that scored it, when known (`nvd`, `redhat`, `ghsa`). */
  sourceName?: string;
  baseScore: number;
  exploitabilityScore?: number;
  impactScore?: number;
  vector?: string;
}

/** Whether a fix exists: fixed (versions known), not fixed yet, will not be fixed, or the package is end of life. */
export type FixState = "fixed" | "not-fixed" | "wont-fix" | "end-of-life" | "unknown";

/** A VEX statement that applies to a finding. */
export interface VexAssessment {
  status: "not_affected" | "affected" | "fixed" | "under_investigation";
  justification?: string;
  statement?: string;
  /** Document the statement came from. */
  document?: string;
}

/** A vulnerability found in a package of the image. */
export interface Vulnerability {
  /** Identifier (`CVE-2021-44228`, `GHSA-…`, `RHSA-…`). */
  id: string;
  /** One-to-one aliases of the id (a GHSA and its CVE): the same vulnerability under another name. */
  aliases?: string[];
  /**
   * Advisories covering it (`DSA-6113-1`, `RHSA-…`, `USN-…`) and other related ids: shown and matchable, but
   * findings never merge on them, since one advisory covers several vulnerabilities.
   */
  advisories?: string[];
  package: PackageRef;
  severity: Severity;
  cvss?: CvssEntry[];
  fix: { state: FixState; versions: string[] };
  /** EPSS score and percentile (0..1). */
  epss?: { score: number; percentile?: number; date?: string };
  /** Listed in CISA's Known Exploited Vulnerabilities catalog. */
  knownExploited?: boolean;
  /** When the vulnerability was first detected in this image (RFC 3339). */
  detectedAt?: string;
  /** When a fix became available (RFC 3339). */
  fixAvailableAt?: string;
  /** When the vulnerability was published (RFC 3339). */
  publishedAt?: string;
  /** Link to the advisory. */
  url?: string;
  description?: string;
  /** Scanners that reported it. */
  sources?: string[];
  vex?: VexAssessment;
}

/** A file in the image, as a layer analysis reports it. */
export interface FileEntry {
  path: string;
  /** Unix mode bits, including the file type and setuid/setgid bits. */
  mode: number;
  size?: number;
  type?: "file" | "dir" | "symlink" | "hardlink" | "other";
  linkTarget?: string;
  /** Checksums by algorithm (`sha256`, `md5`). */
  checksums?: Record<string, string>;
}

/** A secret found in an image file by a named regular expression. */
export interface SecretFinding {
  /** Name of the regular expression that matched (`AWS_ACCESS_KEY`, `PRIV_KEY`, …). */
  regexName: string;
  path: string;
  line?: number;
}

/** The result of a malware scan of the image. */
export interface MalwareScan {
  scanner: string;
  findings: { path: string; signature: string }[];
}

/** Feed data that lets npm and gem packages be compared with their public registries. */
export interface PackageFeed {
  /** When the feed was last synced (RFC 3339). */
  syncedAt?: string;
  /** Known versions by package name; the last entry is the newest. */
  versions: Record<string, string[]>;
}

/** A package verification problem (a packaged file changed or missing). */
export interface PackageVerification {
  package: string;
  path: string;
  problem: "changed" | "missing";
}

/** A public key the signing facts were verified against: its name (configuration or bundle) and fingerprint. */
export interface SigningKeyFact {
  name: string;
  /** Hex SHA-256 of the key's DER SubjectPublicKeyInfo (as `cipolice keys generate` prints it). */
  fingerprint: string;
}

/** One signature or attestation layer next to the image, as verified against every known key. */
export interface SignatureEntryFact {
  /** Position in the `.sig` or `.att` manifest. */
  layer: number;
  valid: boolean;
  /** Fingerprint of the key that verified it (valid entries). */
  keyFingerprint?: string;
  /** Why it was refused: tampered, another digest, no known key verifies it, unreadable. */
  reason?: string;
  /**
   * Why, as a stable kind: `untrusted` when no known key verifies an otherwise readable signature; `invalid`
   * when the signature is broken whoever signed it (tampered payload, another digest, garbage).
   */
  refusal?: "untrusted" | "invalid";
  /** The signed payload's optional annotations (signatures). */
  annotations?: Record<string, string>;
  /** The in-toto predicate type (attestations). */
  predicateType?: string;
  /** What a CIPolicE verification summary states (attestations). */
  summary?: { passed: boolean; policyDigest: string; policyName?: string; time: string };
}

/**
 * Cosign signatures (`sha256-<hex>.sig`) and attestations (`.att`) found next to the image in its registry,
 * verified against the keys the configuration and the bundle name. The policy reads these; it never verifies.
 */
export interface SigningFacts {
  /** The keys every entry was verified against. */
  keys: SigningKeyFact[];
  signatures: SignatureEntryFact[];
  attestations: SignatureEntryFact[];
  /** Problems reading the signature or attestation manifests (garbage descriptors, unreadable tags). */
  problems?: string[];
}

/** Everything known about one image, as pure data. Fields left out mean "not known", not "empty". */
export interface ImageFacts {
  ref: ImageRef;
  /** Manifest digest (`sha256:…`). */
  digest?: string;
  /** Image id: the config digest (`sha256:…`). */
  imageId?: string;
  platform?: Platform;
  config?: ImageConfig;
  dockerfile?: Dockerfile;
  layers?: Layer[];
  /** Total size in bytes (sum of the layers, as anchore-engine reports it). */
  size?: number;
  distro?: Distro;
  packages?: Package[];
  /** Vulnerabilities; absent means no vulnerability data at all. */
  vulnerabilities?: Vulnerability[];
  files?: FileEntry[];
  /** File paths by the name of the content regular expression that matched them. */
  contentMatches?: Record<string, string[]>;
  secrets?: SecretFinding[];
  malware?: MalwareScan[];
  /** Text of /etc/passwd, when a layer analysis read it. */
  passwd?: string;
  /** Text of files retrieved by a layer analysis, by path. */
  retrievedFiles?: Record<string, string>;
  packageVerification?: PackageVerification[];
  feeds?: { npm?: PackageFeed; gem?: PackageFeed };
  /** Packages of the previous image pushed under the same tag (for tag drift). */
  previousPackages?: Package[];
  /** Kubernetes or deployment context the image is checked for. */
  context?: {
    namespace?: string;
    environment?: string;
    /** The namespace's labels, when known (admission: from the serve configuration). */
    namespaceLabels?: Record<string, string>;
    /** The pod's annotations, when known (admission: from the request). */
    annotations?: Record<string, string>;
  };
  /** Signatures and attestations verified against known keys; absent when nobody looked. */
  signing?: SigningFacts;
  /** Where each part came from. */
  provenance?: Provenance[];
}
