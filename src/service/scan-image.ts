import type { RegistryClient, RegistryClientOptions } from "../image/registry/registry-client.js";
import { CipError, type DecisionV1, type ImageFacts, isCipError, type Problem } from "../model/index.js";
import type { CompiledBundle } from "../policy/compile-bundle.js";
import { analyseImage } from "./analyse-image.js";
import { checkImage } from "./check-image.js";
import { gatherFacts } from "./gather-facts.js";
import { parseImageArgument } from "./image-argument.js";
import { readImage } from "./read-image.js";

/** What scanning one image gave: its facts and decision, or why it could not be scanned. */
export interface ScanResult {
  image: string;
  digest?: string;
  facts?: ImageFacts;
  notes?: Problem[];
  decision?: DecisionV1;
  /** Why the image could not be scanned (registry refused, hostile layer, …). */
  error?: string;
  ms: number;
}

/** How to scan each image. */
export interface ScanOptions {
  registry: RegistryClientOptions;
  dbPath: string;
  version: string;
  /** Decide each image with this bundle too. */
  bundle?: CompiledBundle;
  now: Date;
}

/**
 * Scans one image (a registry reference, `oci:DIR[:TAG]` or `docker-archive:FILE[:REF]`): reads it,
 * analyses its layers, matches its packages against the OSV database and, with a bundle, decides it.
 * Never throws for what the image or its registry does: the result says what failed.
 */
export async function scanImage(text: string, options: ScanOptions): Promise<ScanResult> {
  const started = performance.now();
  try {
    const argument = parseImageArgument(text);
    const read = await readImage(argument, { registry: options.registry });
    const analysis = await analyseImage(argument, read.image, {
      registry: options.registry,
      dbPath: options.dbPath,
      version: options.version,
    });
    const gathered = gatherFacts({
      ...(argument.kind === "registry" ? { image: argument.reference } : {}),
      imageFacts: read.facts,
      analysis,
      reports: [],
      vex: [],
    });
    const decision =
      options.bundle === undefined
        ? undefined
        : checkImage(options.bundle, gathered.facts, { now: options.now, notes: gathered.notes });
    const digest = gathered.facts.digest ?? read.image.manifestDigest;
    return {
      image: text,
      ...(digest !== undefined ? { digest } : {}),
      facts: gathered.facts,
      notes: gathered.notes,
      ...(decision !== undefined ? { decision } : {}),
      ms: performance.now() - started,
    };
  } catch (error) {
    if (!isCipError(error)) throw error;
    return { image: text, error: error.message, ms: performance.now() - started };
  }
}

/**
 * Every `registry/repository:tag` of a registry: its catalog (with pagination), then each repository's tags,
 * the repositories starting with `prefix` only; at most `max` images (an error says when there were more).
 */
export async function registryImages(
  client: RegistryClient,
  registry: string,
  options: { prefix?: string; max: number },
): Promise<string[]> {
  const repositories = (await client.catalog(registry)).filter(
    (r) => options.prefix === undefined || r.startsWith(options.prefix),
  );
  const images: string[] = [];
  for (const repository of repositories) {
    for (const tag of await client.listTags(registry, repository)) {
      if (images.length >= options.max) {
        throw new CipError(
          "CIP_INPUT_TOO_LARGE",
          `Cannot scan ${registry}: it holds more than ${options.max} tagged images`,
          { hint: "Raise --max-images, or scan part of it with --repository-prefix." },
        );
      }
      images.push(`${registry}/${repository}:${tag}`);
    }
  }
  return images;
}
