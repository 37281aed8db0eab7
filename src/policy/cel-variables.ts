import { Environment } from "@marcbachmann/cel-js";
import type { CvssEntry, ImageFacts, Package, PackageRef, Vulnerability } from "../model/index.js";
import { severityRank } from "../model/index.js";

/** CEL's own name of the timestamp type; the short `timestamp` is only a conversion function. */
const TIMESTAMP = "google.protobuf.Timestamp";

/** Score used for a CVSS or EPSS value the facts do not give (anchore-engine compares with -1 too). */
export const UNKNOWN_SCORE = -1;

type FieldTypes<T> = { [K in keyof T]-?: string };

/** A CEL message type backed by its own JS class, so field names are checked when an expression compiles. */
interface MessageType<T> {
  name: string;
  fields: FieldTypes<T>;
  ctor: new (init: T) => T;
}

function messageType<T extends object>(name: string, fields: FieldTypes<T>): MessageType<T> {
  // A named class per type: the library finds a value's CEL type by its constructor.
  const ctor = {
    [name]: class {
      constructor(init: T) {
        Object.assign(this, init);
      }
    },
  }[name] as unknown as new (
    init: T,
  ) => T;
  return { name, fields, ctor };
}

/** `image`: the reference the image was assessed under. */
export interface CelImage {
  registry: string;
  repository: string;
  tag: string;
  digest: string;
  id: string;
}

/** `config`: the runtime configuration; env is a map of variable name to value. */
export interface CelConfig {
  user: string;
  env: Map<string, string>;
  exposedPorts: string[];
  labels: Map<string, string>;
  entrypoint: string[];
  cmd: string[];
  workdir: string;
  stopSignal: string;
  volumes: string[];
  healthcheck: string[];
  created?: Date;
}

/** A package, as listed in `packages` and as `vulnerabilities[].package`. */
export interface CelPackage {
  name: string;
  version: string;
  type: string;
  path: string;
  purl: string;
  licenses: string[];
}

/** Highest CVSS v3 scores by source; -1.0 when the source gave none. */
export interface CelCvss {
  nvdBase: number;
  nvdExploitability: number;
  nvdImpact: number;
  vendorBase: number;
  vendorExploitability: number;
  vendorImpact: number;
}

/** One element of `vulnerabilities`. */
export interface CelVulnerability {
  id: string;
  aliases: string[];
  advisories: string[];
  severity: string;
  severityRank: bigint;
  package: CelPackage;
  fixAvailable: boolean;
  fixState: string;
  fixVersions: string[];
  cvss: CelCvss;
  epss: number;
  epssPercentile: number;
  knownExploited: boolean;
  vexStatus: string;
  url: string;
  sources: string[];
  detectedAt?: Date;
  publishedAt?: Date;
  fixAvailableAt?: Date;
}

/** `distro`: the operating system distribution. */
export interface CelDistro {
  name: string;
  version: string;
  like: string[];
}

/** `platform`: the image platform. */
export interface CelPlatform {
  os: string;
  architecture: string;
  variant: string;
}

/** `context`: where the image is being admitted. */
export interface CelContext {
  namespace: string;
  environment: string;
}

/** Every variable an expression sees, built once per image. */
export interface CelVariables {
  image: CelImage;
  config: CelConfig;
  vulnerabilities: CelVulnerability[];
  packages: CelPackage[];
  distro: CelDistro;
  platform: CelPlatform;
  size: bigint;
  layerCount: bigint;
  context: CelContext;
  now: Date;
}

const ImageType = messageType<CelImage>("Image", {
  registry: "string",
  repository: "string",
  tag: "string",
  digest: "string",
  id: "string",
});

const ConfigType = messageType<CelConfig>("Config", {
  user: "string",
  env: "map<string, string>",
  exposedPorts: "list<string>",
  labels: "map<string, string>",
  entrypoint: "list<string>",
  cmd: "list<string>",
  workdir: "string",
  stopSignal: "string",
  volumes: "list<string>",
  healthcheck: "list<string>",
  created: TIMESTAMP,
});

const PackageType = messageType<CelPackage>("Package", {
  name: "string",
  version: "string",
  type: "string",
  path: "string",
  purl: "string",
  licenses: "list<string>",
});

const CvssType = messageType<CelCvss>("Cvss", {
  nvdBase: "double",
  nvdExploitability: "double",
  nvdImpact: "double",
  vendorBase: "double",
  vendorExploitability: "double",
  vendorImpact: "double",
});

const VulnerabilityType = messageType<CelVulnerability>("Vulnerability", {
  id: "string",
  aliases: "list<string>",
  advisories: "list<string>",
  severity: "string",
  severityRank: "int",
  package: PackageType.name,
  fixAvailable: "bool",
  fixState: "string",
  fixVersions: "list<string>",
  cvss: CvssType.name,
  epss: "double",
  epssPercentile: "double",
  knownExploited: "bool",
  vexStatus: "string",
  url: "string",
  sources: "list<string>",
  detectedAt: TIMESTAMP,
  publishedAt: TIMESTAMP,
  fixAvailableAt: TIMESTAMP,
});

const DistroType = messageType<CelDistro>("Distro", {
  name: "string",
  version: "string",
  like: "list<string>",
});
const PlatformType = messageType<CelPlatform>("Platform", {
  os: "string",
  architecture: "string",
  variant: "string",
});
const ContextType = messageType<CelContext>("Context", { namespace: "string", environment: "string" });

const VARIABLES: Record<keyof CelVariables, { type: string; description: string }> = {
  image: { type: ImageType.name, description: "The image reference: registry, repository, tag, digest, id" },
  config: {
    type: ConfigType.name,
    description: "Runtime configuration: user, env (map), exposedPorts, labels, ...",
  },
  vulnerabilities: {
    type: `list<${VulnerabilityType.name}>`,
    description: "Vulnerabilities found in the image",
  },
  packages: { type: `list<${PackageType.name}>`, description: "Installed packages" },
  distro: { type: DistroType.name, description: "Operating system distribution: name, version, like" },
  platform: { type: PlatformType.name, description: "Platform: os, architecture, variant" },
  size: { type: "int", description: "Image size in bytes (0 when unknown)" },
  layerCount: { type: "int", description: "Number of layers (0 when unknown)" },
  context: { type: ContextType.name, description: "Admission context: namespace, environment" },
  now: { type: TIMESTAMP, description: "The evaluation time" },
};

/** Which single item an expression is evaluated against, besides the image-wide variables. */
export type CelItemKind = "none" | "vulnerabilities" | "packages";

let environments: Record<CelItemKind, Environment> | undefined;

/**
 * The CEL environment for expressions over image facts; `vulnerabilities` adds `vuln`, `packages` adds `pkg`.
 * Built on first use, since building one is the expensive part.
 */
export function celEnvironment(kind: CelItemKind): Environment {
  environments ??= buildEnvironments();
  return environments[kind];
}

function buildEnvironments(): Record<CelItemKind, Environment> {
  const base = new Environment({ unlistedVariablesAreDyn: false, homogeneousAggregateLiterals: false });
  for (const t of [
    ImageType,
    ConfigType,
    PackageType,
    CvssType,
    VulnerabilityType,
    DistroType,
    PlatformType,
    ContextType,
  ]) {
    base.registerType(t.name, { ctor: t.ctor as new (...args: unknown[]) => unknown, fields: t.fields });
  }
  for (const [name, v] of Object.entries(VARIABLES))
    base.registerVariable(name, v.type, { description: v.description });
  // Cloning locks the base, so every registration above must come first.
  const vulnerabilities = base.clone().registerVariable("vuln", VulnerabilityType.name, {
    description: "The vulnerability being evaluated (for_each: vulnerabilities)",
  });
  const packages = base.clone().registerVariable("pkg", PackageType.name, {
    description: "The package being evaluated (for_each: packages)",
  });
  return { none: base.clone(), vulnerabilities, packages };
}

/**
 * Builds the CEL variables for one image; absent facts become empty strings, lists and maps. The per-item
 * lists are built on first use: most expressions never read them, and they are the costly part.
 */
export function celVariables(facts: ImageFacts, now: Date): CelVariables {
  const config = facts.config ?? {};
  let vulnerabilities: CelVulnerability[] | undefined;
  let packages: CelPackage[] | undefined;
  return {
    image: new ImageType.ctor({
      registry: facts.ref.registry,
      repository: facts.ref.repository,
      tag: facts.ref.tag ?? "",
      digest: facts.digest ?? facts.ref.digest ?? "",
      id: facts.imageId ?? "",
    }),
    config: new ConfigType.ctor({
      user: config.user ?? "",
      env: envMap(config.env ?? []),
      exposedPorts: config.exposedPorts ?? [],
      labels: new Map(Object.entries(config.labels ?? {})),
      entrypoint: config.entrypoint ?? [],
      cmd: config.cmd ?? [],
      workdir: config.workdir ?? "",
      stopSignal: config.stopSignal ?? "",
      volumes: config.volumes ?? [],
      healthcheck: config.healthcheck?.test ?? [],
      created: timestamp(config.created),
    }),
    get vulnerabilities() {
      vulnerabilities ??= (facts.vulnerabilities ?? []).map(celVulnerability);
      return vulnerabilities;
    },
    get packages() {
      packages ??= (facts.packages ?? []).map(celPackage);
      return packages;
    },
    distro: new DistroType.ctor({
      name: facts.distro?.name ?? "",
      version: facts.distro?.version ?? "",
      like: facts.distro?.like ?? [],
    }),
    platform: new PlatformType.ctor({
      os: facts.platform?.os ?? "",
      architecture: facts.platform?.architecture ?? "",
      variant: facts.platform?.variant ?? "",
    }),
    size: BigInt(Math.trunc(facts.size ?? 0)),
    layerCount: BigInt(facts.layers?.length ?? 0),
    context: new ContextType.ctor({
      namespace: facts.context?.namespace ?? "",
      environment: facts.context?.environment ?? "",
    }),
    now,
  };
}

function celPackage(p: Package | PackageRef): CelPackage {
  return new PackageType.ctor({
    name: p.name,
    version: p.version,
    type: p.type,
    path: p.path ?? "",
    purl: p.purl ?? "",
    licenses: "licenses" in p && p.licenses ? p.licenses : [],
  });
}

function celVulnerability(v: Vulnerability): CelVulnerability {
  return new VulnerabilityType.ctor({
    id: v.id,
    aliases: v.aliases ?? [],
    advisories: v.advisories ?? [],
    severity: v.severity,
    severityRank: BigInt(severityRank(v.severity)),
    package: celPackage(v.package),
    fixAvailable: v.fix.state === "fixed" || v.fix.versions.length > 0,
    fixState: v.fix.state,
    fixVersions: v.fix.versions,
    cvss: celCvss(v.cvss ?? []),
    epss: v.epss?.score ?? UNKNOWN_SCORE,
    epssPercentile: v.epss?.percentile ?? UNKNOWN_SCORE,
    knownExploited: v.knownExploited ?? false,
    vexStatus: v.vex?.status ?? "",
    url: v.url ?? "",
    sources: v.sources ?? [],
    detectedAt: timestamp(v.detectedAt),
    publishedAt: timestamp(v.publishedAt),
    fixAvailableAt: timestamp(v.fixAvailableAt),
  });
}

function celCvss(entries: readonly CvssEntry[]): CelCvss {
  // Version 3 only, as anchore-engine's vulnerability gate scores.
  const v3 = entries.filter((e) => e.version.startsWith("3"));
  const max = (source: CvssEntry["source"], pick: (e: CvssEntry) => number | undefined): number =>
    v3.reduce((best, e) => {
      const score = e.source === source ? pick(e) : undefined;
      return score !== undefined && score > best ? score : best;
    }, UNKNOWN_SCORE);
  return new CvssType.ctor({
    nvdBase: max("nvd", (e) => e.baseScore),
    nvdExploitability: max("nvd", (e) => e.exploitabilityScore),
    nvdImpact: max("nvd", (e) => e.impactScore),
    vendorBase: max("vendor", (e) => e.baseScore),
    vendorExploitability: max("vendor", (e) => e.exploitabilityScore),
    vendorImpact: max("vendor", (e) => e.impactScore),
  });
}

function envMap(entries: readonly string[]): Map<string, string> {
  const map = new Map<string, string>();
  for (const entry of entries) {
    const eq = entry.indexOf("=");
    // A later definition wins, as when a container starts.
    if (eq < 0) map.set(entry, "");
    else map.set(entry.slice(0, eq), entry.slice(eq + 1));
  }
  return map;
}

function timestamp(text: string | undefined): Date | undefined {
  if (text === undefined) return undefined;
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? undefined : date;
}
