import { CipError } from "../model/index.js";
import { anchoreVulnFormat } from "./formats/anchore.js";
import { clairLayerFormat } from "./formats/clair-layer.js";
import { clairScannerFormat } from "./formats/clair-scanner.js";
import { clairV4Format } from "./formats/clair-v4.js";
import { csafVexFormat } from "./formats/csaf.js";
import { cyclonedxFormat } from "./formats/cyclonedx.js";
import { cyclonedxVexFormat } from "./formats/cyclonedx-vex.js";
import { grypeFormat } from "./formats/grype.js";
import { harborFormat } from "./formats/harbor.js";
import { klarFormat } from "./formats/klar.js";
import { openvexFormat } from "./formats/openvex.js";
import { snykFormat } from "./formats/snyk.js";
import { spdxFormat } from "./formats/spdx.js";
import { syftFormat } from "./formats/syft.js";
import { trivyFormat } from "./formats/trivy.js";
import { trivyK8sFormat } from "./formats/trivy-k8s.js";
import { twistlockFormat } from "./formats/twistlock.js";
import { UNSUPPORTED_FORMATS } from "./formats/unsupported.js";
import type { ReportFormat, VexFormat } from "./report-format.js";

/** Every report and SBOM format, in detection order (more specific shapes first). */
export const REPORT_FORMATS: readonly ReportFormat[] = [
  trivyK8sFormat,
  trivyFormat,
  grypeFormat,
  syftFormat,
  clairV4Format,
  clairLayerFormat,
  klarFormat,
  clairScannerFormat,
  anchoreVulnFormat,
  snykFormat,
  twistlockFormat,
  harborFormat,
  cyclonedxFormat,
  spdxFormat,
];

/** Every VEX format. */
export const VEX_FORMATS: readonly VexFormat[] = [openvexFormat, cyclonedxVexFormat, csafVexFormat];

/** The ids `--report-format` accepts. */
export const REPORT_FORMAT_IDS: readonly string[] = REPORT_FORMATS.map((f) => f.id);

/**
 * The format of a parsed report document: the one named (`--report-format`), else the first whose shape
 * matches. Throws CIP_REPORT_UNSUPPORTED saying what was detected (a VEX document, a known but unsupported
 * tool's output, or nothing recognisable).
 */
export function detectReportFormat(document: unknown, source: string, named?: string): ReportFormat {
  if (named !== undefined) {
    const format = REPORT_FORMATS.find((f) => f.id === named);
    if (!format) {
      throw new CipError("CIP_USAGE", `Cannot use --report-format ${named}: no such format`, {
        hint: `Choose one of ${REPORT_FORMAT_IDS.join(", ")}.`,
      });
    }
    // Read as a format it is not, a report would give no findings and pass: refuse instead
    if (!safeDetect(format.detect, document)) throw notThatFormat(format, document, source);
    return format;
  }
  const format = REPORT_FORMATS.find((f) => safeDetect(f.detect, document));
  if (format) return format;
  const vex = VEX_FORMATS.find((f) => safeDetect(f.detect, document));
  if (vex) {
    throw new CipError(
      "CIP_REPORT_UNSUPPORTED",
      `Cannot read ${source} as a scanner report: it is a VEX document (${vex.name})`,
      {
        hint: "Pass VEX documents with --vex, not --report.",
      },
    );
  }
  const known = UNSUPPORTED_FORMATS.find((f) => safeDetect(f.detect, document));
  if (known) {
    throw new CipError(
      "CIP_REPORT_UNSUPPORTED",
      `Cannot read ${source}: it is ${known.name}, which CIPolicE does not read`,
      {
        hint: known.hint,
      },
    );
  }
  throw new CipError("CIP_REPORT_UNSUPPORTED", `Cannot read ${source}: ${describeUnknown(document)}`, {
    hint: `Supported formats: ${REPORT_FORMATS.map((f) => f.name).join(", ")}. Name one with --report-format if detection failed.`,
  });
}

/** The VEX format of a parsed document; CIP_REPORT_UNSUPPORTED when it is none of them. */
export function detectVexFormat(document: unknown, source: string): VexFormat {
  const format = VEX_FORMATS.find((f) => safeDetect(f.detect, document));
  if (format) return format;
  const report = REPORT_FORMATS.find((f) => safeDetect(f.detect, document));
  throw new CipError(
    "CIP_REPORT_UNSUPPORTED",
    `Cannot read ${source} as VEX: ${report ? `it is a scanner report or SBOM (${report.name})` : describeUnknown(document)}`,
    {
      hint: `${report ? "Pass scanner reports and SBOMs with --report. " : ""}VEX formats read: ${VEX_FORMATS.map((f) => f.name).join(", ")}.`,
    },
  );
}

function notThatFormat(format: ReportFormat, document: unknown, source: string): CipError {
  const actual = REPORT_FORMATS.find((f) => safeDetect(f.detect, document));
  const vex = actual ? undefined : VEX_FORMATS.find((f) => safeDetect(f.detect, document));
  const known = actual || vex ? undefined : UNSUPPORTED_FORMATS.find((f) => safeDetect(f.detect, document));
  const looks = actual
    ? `it looks like ${actual.name}`
    : vex
      ? `it looks like a VEX document (${vex.name})`
      : known
        ? `it looks like ${known.name}`
        : describeUnknown(document);
  return new CipError(
    "CIP_REPORT_INVALID",
    `Cannot read ${source} as ${format.name} (--report-format ${format.id}): that format needs ${format.shape}, which the document lacks; ${looks}`,
    {
      hint: actual
        ? `Use --report-format ${actual.id}, or leave --report-format out: the format is detected from the content.`
        : "Check that the file is the scanner's JSON output; leave --report-format out to have the format detected.",
    },
  );
}

function safeDetect(detect: (d: unknown) => boolean, document: unknown): boolean {
  try {
    return detect(document);
  } catch {
    return false;
  }
}

function describeUnknown(document: unknown): string {
  if (document === null) return "the document is the JSON value null";
  if (Array.isArray(document))
    return `no supported format is an array like this one (${document.length} items)`;
  if (typeof document !== "object") return `the document is a single ${typeof document}, not a report`;
  const keys = Object.keys(document).slice(0, 8);
  return `no supported format has these top-level fields (${keys.map((k) => `"${k}"`).join(", ") || "none"})`;
}
