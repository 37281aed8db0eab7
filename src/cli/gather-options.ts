import { Option } from "@commander-js/extra-typings";
import { type ArchiveLimits, DEFAULT_MAX_ARCHIVE_ENTRIES } from "../image/archive-limits.js";
import type { RegistryClientOptions } from "../image/registry/registry-client.js";
import { CipError, type ImageFacts, type Platform } from "../model/index.js";
import type { ImageAnalysis } from "../service/analyse-image.js";
import type { GatheredFacts, GatherInput } from "../service/gather-facts.js";
import { progressOnStderr } from "./progress.js";
import { expandReportPaths, parseByteSize, readInputFile } from "./read-input.js";

/** Appends a repeatable option's values. */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** The options that say where facts come from, shared by `check` and `facts`. */
export const GATHER_OPTIONS = [
  new Option("--facts <file>", "normalized image facts (JSON or YAML; - for standard input)"),
  new Option("--report <file|dir>", "scanner report or SBOM (repeatable; a directory means its .json files)")
    .argParser(collect)
    .default([] as string[]),
  new Option("--report-format <id>", "read every --report as this format instead of detecting it"),
  new Option("--vex <file>", "OpenVEX, CycloneDX VEX or CSAF VEX document (repeatable)")
    .argParser(collect)
    .default([] as string[]),
  new Option("--pull", "also read the image from its registry when --facts or --report are given"),
  new Option(
    "--platform <os/arch[/variant]>",
    "the platform to read from a multi-platform image (default: this machine's)",
  ),
  new Option(
    "--dockerfile <file>",
    "the Dockerfile the image was built from (its instructions become actual, not guessed)",
  ),
  new Option("--insecure-registry <host>", "allow plain HTTP for this registry (loopback always is)")
    .argParser(collect)
    .default([] as string[]),
  new Option(
    "--creds <user:password>",
    "registry credentials (or CIPOLICE_REGISTRY_USERNAME / CIPOLICE_REGISTRY_PASSWORD; else Docker's config.json)",
  ),
  new Option("--registry-timeout <seconds>", "give up on a registry request after this long").default("30"),
  new Option("--ca-file <pem>", "trust this CA (PEM) for registry TLS, besides the system's (repeatable)")
    .argParser(collect)
    .default([] as string[]),
  new Option(
    "--max-archive-size <bytes>",
    "refuse a docker-archive larger than this, as read (default: 16 GiB, or 16 × --max-input-size if larger)",
  ),
  new Option(
    "--max-decompressed-size <bytes>",
    "refuse a docker-archive whose tar stream, once decompressed, is larger than this (default: 16 GiB, or 16 × --max-input-size if larger)",
  ),
  new Option(
    "--max-archive-entries <count>",
    `refuse a docker-archive with more entries than this (default: ${DEFAULT_MAX_ARCHIVE_ENTRIES})`,
  ),
] as const;

/** The gather options as commander parses them. */
export interface GatherOptions {
  facts?: string;
  report: string[];
  reportFormat?: string;
  vex: string[];
  pull?: boolean;
  platform?: string;
  dockerfile?: string;
  insecureRegistry: string[];
  creds?: string;
  registryTimeout: string;
  caFile: string[];
  maxArchiveSize?: string;
  maxDecompressedSize?: string;
  maxArchiveEntries?: string;
}

/** `--analyze` and `--db`: CIPolicE's own layer analysis and offline OSV matching (`check`, `facts`). */
export const ANALYZE_OPTIONS = [
  new Option(
    "--analyze",
    "analyse the image's layers itself (packages, files, secrets) and match the packages against the local OSV database (cipolice db import)",
  ),
  new Option(
    "--db <path>",
    "the OSV database for --analyze (default $XDG_DATA_HOME/cipolice/osv.db, else ~/.local/share/cipolice/osv.db)",
  ),
] as const;

/**
 * Reads the image itself when the command should: an OCI layout or docker-archive always; a registry
 * reference when nothing else describes the image, or with --pull. Undefined when the image is only named.
 */
export async function imageFactsFor(
  image: string | undefined,
  opts: GatherOptions,
  maxBytes: number,
): Promise<ImageFacts | undefined> {
  return (await imageInputsFor(image, opts, maxBytes)).imageFacts;
}

/**
 * The image's own facts (as imageFactsFor reads them) and, with `--analyze`, what its layers hold: the
 * image is then always read, from wherever it is, since its layers are needed.
 */
export async function imageInputsFor(
  image: string | undefined,
  opts: GatherOptions & { analyze?: boolean; db?: string },
  maxBytes: number,
): Promise<{ imageFacts?: ImageFacts; analysis?: ImageAnalysis }> {
  if (image === undefined) {
    if (opts.analyze) {
      throw new CipError(
        "CIP_USAGE",
        "Cannot use --analyze without an IMAGE: there are no layers to analyse",
        {
          hint: "Name the image: a registry reference, oci:DIR[:TAG] or docker-archive:FILE.",
        },
      );
    }
    return {};
  }
  // Loaded on use, as every command action's heavy parts: `--help` and other commands need not pay for them
  const [{ parseImageArgument }, { readImage }] = await Promise.all([
    import("../service/image-argument.js"),
    import("../service/read-image.js"),
  ]);
  const argument = parseImageArgument(image);
  const described = opts.facts !== undefined || opts.report.length > 0;
  if (argument.kind === "registry" && described && !opts.pull && !opts.analyze) return {};
  const registry = registryOptionsOf(opts);
  const limits = archiveLimitOptions(opts);
  const read = await readImage(argument, {
    ...(opts.platform !== undefined ? { platform: parsePlatformOption(opts.platform) } : {}),
    ...(opts.dockerfile !== undefined
      ? { dockerfile: readInputFile(opts.dockerfile, "Dockerfile", maxBytes) }
      : {}),
    maxInputBytes: maxBytes,
    archiveLimits: limits,
    registry,
  });
  if (!opts.analyze) return { imageFacts: read.facts };
  const [{ analyseImage }, { defaultVulnDatabasePath }, { VERSION }, { homedir }] = await Promise.all([
    import("../service/analyse-image.js"),
    import("../vulndb/vuln-database.js"),
    import("./version.js"),
    import("node:os"),
  ]);
  const analysis = await analyseImage(argument, read.image, {
    registry,
    archiveLimits: limits,
    dbPath: opts.db ?? defaultVulnDatabasePath(process.env, homedir()),
    version: VERSION,
  });
  return { imageFacts: read.facts, analysis };
}

/** The registry client options the registry flags give (`--insecure-registry`, `--creds`, `--ca-file`, timeout). */
export function registryOptionsOf(
  opts: Pick<GatherOptions, "insecureRegistry" | "registryTimeout" | "caFile" | "creds">,
): RegistryClientOptions {
  return {
    insecureRegistries: opts.insecureRegistry,
    timeoutMs: parseSeconds(opts.registryTimeout) * 1000,
    caFiles: opts.caFile,
    ...registryCredentials(opts.creds),
  };
}

/** The archive limits the flags give; those not given are derived from --max-input-size by the reader. */
function archiveLimitOptions(opts: GatherOptions): Partial<ArchiveLimits> {
  return {
    ...(opts.maxArchiveSize !== undefined
      ? { maxArchiveBytes: parseByteSize(opts.maxArchiveSize, "--max-archive-size") }
      : {}),
    ...(opts.maxDecompressedSize !== undefined
      ? { maxDecompressedBytes: parseByteSize(opts.maxDecompressedSize, "--max-decompressed-size") }
      : {}),
    ...(opts.maxArchiveEntries !== undefined
      ? { maxEntries: parseCount(opts.maxArchiveEntries, "--max-archive-entries") }
      : {}),
  };
}

function parseCount(text: string, flag: string): number {
  if (!/^\s*\d+\s*$/.test(text) || !Number.isSafeInteger(Number(text)) || Number(text) < 1) {
    throw new CipError(
      "CIP_USAGE",
      `Cannot use ${flag} ${JSON.stringify(text)}: expected a whole number from 1`,
      {
        hint: `Write for example ${flag} 200000.`,
      },
    );
  }
  return Number(text);
}

function registryCredentials(creds: string | undefined): Pick<RegistryClientOptions, "credentials"> {
  const text =
    creds ??
    (process.env.CIPOLICE_REGISTRY_USERNAME !== undefined
      ? `${process.env.CIPOLICE_REGISTRY_USERNAME}:${process.env.CIPOLICE_REGISTRY_PASSWORD ?? ""}`
      : undefined);
  if (text === undefined) return {};
  const colon = text.indexOf(":");
  if (colon <= 0) {
    throw new CipError("CIP_USAGE", "Cannot use the registry credentials: expected user:password", {
      hint: "Write --creds user:password, or set CIPOLICE_REGISTRY_USERNAME and CIPOLICE_REGISTRY_PASSWORD.",
    });
  }
  return { credentials: { username: text.slice(0, colon), password: text.slice(colon + 1) } };
}

function parsePlatformOption(text: string): Platform {
  const [os, architecture, variant] = text.split("/");
  if (!os || !architecture) {
    throw new CipError(
      "CIP_USAGE",
      `Cannot use --platform ${JSON.stringify(text)}: expected os/arch[/variant]`,
      {
        hint: "Write for example --platform linux/arm64/v8.",
      },
    );
  }
  return { os, architecture, ...(variant ? { variant } : {}) };
}

function parseSeconds(text: string): number {
  const seconds = Number(text);
  if (!(seconds > 0 && seconds <= 3600)) {
    throw new CipError(
      "CIP_USAGE",
      `Cannot use --registry-timeout ${JSON.stringify(text)}: expected seconds from 1 to 3600`,
      {
        hint: "Write for example --registry-timeout 60.",
      },
    );
  }
  return seconds;
}

/** Reads the files the gather options name into the service's input. */
export function gatherInput(
  image: string | undefined,
  opts: { facts?: string; report: string[]; reportFormat?: string; vex: string[] },
  maxBytes: number,
  imageFacts?: ImageFacts,
  analysis?: ImageAnalysis,
): GatherInput {
  const read = (path: string, what: string) => ({
    text: readInputFile(path, what, maxBytes),
    source: path === "-" ? "standard input" : path,
  });
  return {
    ...(image !== undefined && !image.startsWith("oci:") && !image.startsWith("docker-archive:")
      ? { image: image.replace(/^docker:\/\//, "") }
      : {}),
    ...(imageFacts ? { imageFacts } : {}),
    ...(analysis ? { analysis } : {}),
    ...(opts.facts !== undefined ? { facts: read(opts.facts, "facts") } : {}),
    reports: expandReportPaths(opts.report).map((p) => read(p, "report")),
    ...(opts.reportFormat !== undefined ? { reportFormat: opts.reportFormat } : {}),
    vex: opts.vex.map((p) => read(p, "VEX document")),
  };
}

/** Gathers facts, showing progress through the reports when there are many. */
export async function gatherWithProgress(input: GatherInput): Promise<GatheredFacts> {
  const { gatherFacts } = await import("../service/gather-facts.js");
  const progress = progressOnStderr("reading reports");
  try {
    return gatherFacts({ ...input, onReport: (i, total, source) => progress.step(i, total, source) });
  } finally {
    progress.done();
  }
}
