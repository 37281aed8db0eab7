import { existsSync } from "node:fs";
import type { ArchiveLimits } from "../image/archive-limits.js";
import type { RegistryClientOptions } from "../image/registry/registry-client.js";
import type { ResolvedImage } from "../image/resolved-image.js";
import type { ParsedReport } from "../ingest/parsed-report.js";
import type { ImageFacts } from "../model/index.js";
import type { ImageArgument } from "./image-argument.js";

/** What `--analyze` found: a report to merge with the scanners' (packages, vulnerabilities, secrets) and the facts only an analysis gives. */
export interface ImageAnalysis {
  report: ParsedReport;
  /** Files, /etc/passwd: facts no scanner report carries. */
  extra: Partial<ImageFacts>;
  /** Where the report came from, for messages. */
  source: string;
}

/** How to analyse: where layers come from, the OSV database, and CIPolicE's version for provenance. */
export interface AnalyseImageOptions {
  registry?: RegistryClientOptions;
  archiveLimits?: Partial<ArchiveLimits>;
  /** The OSV database file; when it does not exist, no vulnerabilities are matched and a note says so. */
  dbPath: string;
  version: string;
}

/**
 * Analyses an image's layers (streamed once from its registry, OCI layout or docker-archive) into packages,
 * files and secrets, and matches the packages against the local OSV database. The result is a report of
 * scanner `cipolice` that merges with any other reports (the same finding from both appears once, citing both).
 */
export async function analyseImage(
  argument: ImageArgument,
  image: ResolvedImage,
  options: AnalyseImageOptions,
): Promise<ImageAnalysis> {
  const [{ analyseLayers, layerAnalysisFacts }, streams] = await Promise.all([
    import("../analysis/layers/analyse-layers.js"),
    import("../image/layer-streams.js"),
  ]);
  let analysis: Awaited<ReturnType<typeof analyseLayers>>;
  if (argument.kind === "oci-layout") {
    analysis = await analyseLayers(streams.ociLayoutLayers(argument.path, image.layers));
  } else if (argument.kind === "docker-archive") {
    const archive = streams.dockerArchiveLayers(argument.path, {
      ...(argument.tag !== undefined ? { tag: argument.tag } : {}),
      ...(options.archiveLimits !== undefined ? { limits: options.archiveLimits } : {}),
    });
    analysis = await analyseLayers(archive.layers, { order: archive.order });
  } else {
    const { RegistryClient } = await import("../image/registry/registry-client.js");
    const client = new RegistryClient(options.registry);
    const target = { registry: image.ref.registry, repository: image.ref.repository };
    try {
      analysis = await analyseLayers(
        streams.registryLayers({ streamBlob: (digest) => client.streamBlob(target, digest) }, image.layers),
      );
    } finally {
      client.close();
    }
  }
  const facts = layerAnalysisFacts(analysis);
  const notes = [...analysis.problems];
  let vulnerabilities: ParsedReport["vulnerabilities"];
  let dbUpdatedAt: string | undefined;
  if (existsSync(options.dbPath)) {
    const [{ openVulnDatabase }, { matchPackages }] = await Promise.all([
      import("../vulndb/vuln-database.js"),
      import("../vulndb/match-packages.js"),
    ]);
    const db = openVulnDatabase(options.dbPath, { readonly: true });
    try {
      // Merging names the scanner (cipolice) in `sources`; the database is in the provenance
      vulnerabilities = matchPackages(db, facts.packages ?? [], analysis.distro).map(
        ({ sources: _, ...v }) => v,
      );
      dbUpdatedAt = db.provenance().dbUpdatedAt;
    } finally {
      db.close();
    }
  } else {
    notes.push(
      `no OSV database at ${options.dbPath}, so no vulnerabilities were matched: run \`cipolice db import\` with OSV's exports`,
    );
  }
  return {
    source: "layer analysis",
    report: {
      format: "cipolice-analysis",
      scanner: { name: "cipolice", version: options.version },
      ...(image.manifestDigest !== undefined ? { image: { digest: image.manifestDigest } } : {}),
      producedAt: new Date().toISOString(),
      ...(dbUpdatedAt !== undefined ? { dbUpdatedAt } : {}),
      ...(facts.distro !== undefined ? { distro: facts.distro } : {}),
      packages: facts.packages ?? [],
      ...(vulnerabilities !== undefined ? { vulnerabilities } : {}),
      secrets: facts.secrets ?? [],
      notes,
    },
    extra: {
      ...(facts.files !== undefined ? { files: facts.files } : {}),
      ...(facts.passwd !== undefined ? { passwd: facts.passwd } : {}),
    },
  };
}
