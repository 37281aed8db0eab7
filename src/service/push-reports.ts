import { parseDocumentText } from "../ingest/parse-document.js";
import { parseReportText, readReport, readVex } from "../ingest/read-report.js";
import { detectReportFormat, REPORT_FORMAT_IDS, VEX_FORMATS } from "../ingest/report-formats.js";
import { CipError } from "../model/index.js";
import type { NewReport, ReportStore } from "./store-ports.js";
import { factsFromDocumentText } from "./stored-report-facts.js";

/** The format name of pushed facts documents (`cipolice facts` output). */
export const FACTS_FORMAT = "facts";

const DIGEST = /^sha256:[a-f0-9]{64}$|^sha512:[a-f0-9]{128}$/;

/** One document as a client pushes it. */
export interface PushedDocument {
  text: string;
  /** Where it came from, for messages (`request body`, a file name). */
  source: string;
  /** Format as `--report-format` names it, a VEX format (`openvex`, `cyclonedx-vex`, `csaf`) or `facts`. */
  format?: string;
  /** Replaces the stored report of that name; defaults to the format. */
  name?: string;
  pushedBy?: string;
}

/** Throws CIP_REQUEST_INVALID unless the text is a manifest digest (`sha256:` and 64 hex digits). */
export function checkDigest(digest: string): string {
  if (!DIGEST.test(digest)) {
    throw new CipError(
      "CIP_REQUEST_INVALID",
      `Cannot store reports for ${JSON.stringify(digest.slice(0, 80))}: not an image manifest digest`,
      { hint: "Name the image by its manifest digest, for example sha256: followed by 64 hex digits." },
    );
  }
  return digest;
}

/**
 * Reads a pushed document the way `cipolice check` would (report, SBOM, VEX or facts), so that what cannot
 * be read is refused before anything is stored, and returns its format name.
 */
export function classifyPushedDocument(document: PushedDocument): string {
  const { text, source, format } = document;
  if (format === FACTS_FORMAT) {
    factsFromDocumentText(text, source);
    return FACTS_FORMAT;
  }
  const vex = VEX_FORMATS.find((f) => f.id === format);
  if (vex) {
    readVex(text, source);
    return vex.id;
  }
  if (format !== undefined && !REPORT_FORMAT_IDS.includes(format)) {
    throw new CipError("CIP_REQUEST_INVALID", `Cannot store ${source}: no format is named ${format}`, {
      hint: `Choose one of ${[...REPORT_FORMAT_IDS, ...VEX_FORMATS.map((f) => f.id), FACTS_FORMAT].join(", ")}, or leave the format out to detect it.`,
    });
  }
  if (format !== undefined) {
    readReport(text, source, format);
    return format;
  }
  const parsed = parseReportText(text, source);
  try {
    const detected = detectReportFormat(parsed, source);
    detected.parse(parsed, source);
    return detected.id;
  } catch (error) {
    const asVex = VEX_FORMATS.find((f) => safely(() => f.detect(parsed)));
    if (asVex) {
      asVex.parse(parsed, source);
      return asVex.id;
    }
    if (looksLikeFacts(text, source)) {
      factsFromDocumentText(text, source);
      return FACTS_FORMAT;
    }
    throw error;
  }
}

/** Checks and stores pushed documents for one image digest; nothing is stored when any one is refused. */
export async function pushReports(
  store: ReportStore,
  digest: string,
  documents: PushedDocument[],
  now: Date,
): Promise<{ revision: number; stored: { name: string; format: string }[] }> {
  checkDigest(digest);
  const reports: NewReport[] = documents.map((d) => {
    const format = classifyPushedDocument(d);
    return {
      name: d.name ?? format,
      format,
      text: d.text,
      ...(d.pushedBy !== undefined ? { pushedBy: d.pushedBy } : {}),
    };
  });
  const { revision } = await store.putReports(digest, reports, now);
  return { revision, stored: reports.map((r) => ({ name: r.name, format: r.format })) };
}

function looksLikeFacts(text: string, source: string): boolean {
  const document = safely(() => parseDocumentText(text, source));
  return (
    document !== null &&
    typeof document === "object" &&
    !Array.isArray(document) &&
    ("ref" in document || "image" in document)
  );
}

function safely<T>(run: () => T): T | undefined {
  try {
    return run();
  } catch {
    return undefined;
  }
}
