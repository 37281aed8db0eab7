import { VEX_FORMATS } from "../ingest/report-formats.js";
import type { ImageFacts } from "../model/index.js";
import { type GatheredFacts, gatherFacts, type InputText } from "./gather-facts.js";
import type { StoredReport } from "./store-ports.js";

const VEX_IDS: ReadonlySet<string> = new Set(VEX_FORMATS.map((f) => f.id));

/** Reads a facts document's text (as `cipolice facts` writes it), throwing what `check --facts` would. */
export function factsFromDocumentText(text: string, source: string): ImageFacts {
  return gatherFacts({ facts: { text, source }, reports: [], vex: [] }).facts;
}

/**
 * The facts of one image from the reports stored for its digest, read as `cipolice check` reads the same
 * files: scanner reports and SBOMs merged, VEX applied, a pushed facts document as the base, and facts read
 * from the registry (config, history, layers) under all of them.
 */
export function factsFromStoredReports(
  image: string,
  stored: readonly StoredReport[],
  imageFacts?: ImageFacts,
): GatheredFacts {
  const reports: InputText[] = [];
  const vex: InputText[] = [];
  let facts: InputText | undefined;
  for (const report of stored) {
    const input = { text: report.text, source: `stored report ${report.name} (${report.digest})` };
    if (report.format === "facts") facts = input;
    else if (VEX_IDS.has(report.format)) vex.push(input);
    else reports.push(input);
  }
  return gatherFacts({
    image,
    reports,
    vex,
    ...(facts ? { facts } : {}),
    ...(imageFacts ? { imageFacts } : {}),
  });
}
