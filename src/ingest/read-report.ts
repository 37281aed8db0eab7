import { CipError } from "../model/index.js";
import { parseJson } from "./parse-document.js";
import type { ParsedReport, VexDocument } from "./parsed-report.js";
import { detectReportFormat, detectVexFormat } from "./report-formats.js";

/**
 * Parses the text of a scanner report, SBOM or VEX document (JSON only), refusing clearly what is not
 * JSON: empty files, XML (CycloneDX XML), UTF-16 or binary data.
 */
export function parseReportText(text: string, source: string): unknown {
  let start = 0;
  if (text.charCodeAt(0) === 0xfeff) start = 1;
  while (start < text.length && " \t\r\n".includes(text[start] as string)) start++;
  const first = text[start];
  if (first === undefined) {
    throw new CipError("CIP_REPORT_UNSUPPORTED", `Cannot read ${source}: the file is empty`, {
      hint: "Give the JSON output of the scanner; an empty file is not a report of no findings.",
    });
  }
  // A NUL at the start is UTF-16 without a byte-order mark; elsewhere JSON.parse refuses it and we say why below.
  if (text.charCodeAt(start) === 0) throw binaryData(source);
  if (first === "<") {
    throw new CipError(
      "CIP_REPORT_UNSUPPORTED",
      `Cannot read ${source}: it is XML (CycloneDX or SPDX XML?); reports are read as JSON`,
      {
        hint: "Export the report or SBOM as JSON (for example CycloneDX JSON).",
      },
    );
  }
  if (!'{[n"-0123456789tf'.includes(first)) {
    const line = text
      .slice(start, text.indexOf("\n", start) < 0 ? undefined : text.indexOf("\n", start))
      .slice(0, 60);
    const csv = line.includes(",") ? " (CSV?)" : "";
    throw new CipError(
      "CIP_REPORT_UNSUPPORTED",
      `Cannot read ${source}: it is not JSON${csv}; it starts with ${JSON.stringify(line)}`,
      {
        hint: "Export the scanner's JSON report; CSV, text and HTML reports cannot be read.",
      },
    );
  }
  try {
    return parseJson(start === 0 ? text : text.slice(start), source);
  } catch (error) {
    throw text.includes("\u0000", start) ? binaryData(source) : error;
  }
}

/** Reads one scanner report or SBOM: parse, detect (or use the named format), normalize. */
export function readReport(text: string, source: string, format?: string): ParsedReport {
  const document = parseReportText(text, source);
  return detectReportFormat(document, source, format).parse(document, source);
}

/** Reads one VEX document. */
export function readVex(text: string, source: string): VexDocument {
  const document = parseReportText(text, source);
  return detectVexFormat(document, source).parse(document, source);
}

function binaryData(source: string): CipError {
  return new CipError("CIP_PARSE", `Cannot read ${source}: it contains NUL bytes (UTF-16 or binary data?)`, {
    hint: "Save the report as UTF-8 JSON.",
  });
}
