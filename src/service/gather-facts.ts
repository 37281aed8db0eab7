import { formatImageReference, isImageDigest, parseImageReference } from "../image/image-reference.js";
import { applyVex } from "../ingest/apply-vex.js";
import { factsFromDocument } from "../ingest/facts-document.js";
import { mergeReports } from "../ingest/merge-reports.js";
import { parseDocumentText } from "../ingest/parse-document.js";
import type { ParsedReport, VexDocument } from "../ingest/parsed-report.js";
import { readReport, readVex } from "../ingest/read-report.js";
import {
  CipError,
  digestOnlyRef,
  type ImageFacts,
  type ImageRef,
  isDigestOnly,
  type Problem,
} from "../model/index.js";

/** One input document: its text and where it came from (for messages). */
export interface InputText {
  text: string;
  source: string;
}

/** Everything a check may know about the image before it is evaluated. */
export interface GatherInput {
  /** The image being checked, as the user named it (`ghcr.io/org/app:1.2`); else taken from the inputs. */
  image?: string;
  facts?: InputText;
  /** Facts read from the image itself (registry, OCI layout, docker-archive). */
  imageFacts?: ImageFacts;
  reports: InputText[];
  /** Format id for every report (`--report-format`); detected per file when absent. */
  reportFormat?: string;
  vex: InputText[];
  /** What CIPolicE's own layer analysis found (`--analyze`): merged like a scanner's report. */
  analysis?: { report: ParsedReport; extra: Partial<ImageFacts>; source: string };
  /** Called before each report is read, for progress on long work. */
  onReport?: (index: number, total: number, source: string) => void;
}

/** Facts gathered from every input, and notes for the decision (mismatched images, unused VEX, report notes). */
export interface GatheredFacts {
  facts: ImageFacts;
  notes: Problem[];
}

/**
 * Gathers facts about one image from a facts document, scanner reports, SBOMs and VEX documents, and
 * says where inputs disagree: a report about another image than the one checked gives a warning.
 */
export function gatherFacts(input: GatherInput): GatheredFacts {
  const notes: Problem[] = [];
  const fromFile = input.facts ? loadFactsDocument(input.facts) : undefined;
  // Facts read from the image come first; a facts file given too adds to them and wins where both speak.
  const fromImage =
    input.imageFacts && input.analysis ? { ...input.imageFacts, ...input.analysis.extra } : input.imageFacts;
  const base = fromImage && fromFile ? { ...fromImage, ...fromFile } : (fromFile ?? fromImage);
  const reports = input.reports.map((r, i) => {
    input.onReport?.(i, input.reports.length, r.source);
    return { source: r.source, report: readReport(r.text, r.source, input.reportFormat) };
  });
  if (input.analysis) reports.unshift({ source: input.analysis.source, report: input.analysis.report });
  const vex: VexDocument[] = input.vex.map((v) => readVex(v.text, v.source));
  const ref = chooseRef(input.image, base, reports);
  if (fromFile && input.facts && input.image !== undefined) {
    const mismatch = describeMismatch(ref, ref.digest, {
      image: {
        ref: formatImageReference(fromFile.ref),
        ...(fromFile.digest ? { digest: fromFile.digest } : {}),
      },
    });
    if (mismatch) {
      notes.push({
        level: "warning",
        code: "CIP_REPORT_IMAGE_MISMATCH",
        message: `${input.facts.source} is a facts document about ${mismatch}, not about ${formatImageReference(ref)}; its facts were used anyway`,
      });
    }
  }
  for (const { source, report } of reports) {
    for (const note of report.notes)
      notes.push({ level: "info", code: "CIP_REPORT_NOTE", message: `${source}: ${note}` });
    if (report.inventory === "partial" && report.packages.length > 0) {
      notes.push({
        level: "info",
        code: "CIP_REPORT_NOTE",
        message: `${source}: lists only the ${report.packages.length} packages it found vulnerable, so they are not used as the image's package inventory`,
      });
    }
    const mismatch = describeMismatch(ref, base?.digest ?? ref.digest, report);
    if (mismatch) {
      notes.push({
        level: "warning",
        code: "CIP_REPORT_IMAGE_MISMATCH",
        message: `${source} is a report about ${mismatch}, not about ${formatImageReference(ref)}; its findings were used anyway`,
      });
    }
  }
  const merged = mergeReports(
    reports.map((r) => r.report),
    base ?? {},
    ref,
  );
  if (merged.vulnerabilities !== undefined && !(merged.provenance ?? []).some((p) => p.dbUpdatedAt)) {
    notes.push({
      level: "info",
      code: "CIP_REPORT_NOTE",
      message: `No input says when its vulnerability database was last updated (${scannersWithoutDbTime(merged)}): the data's age is unknown, which stale_feed_data does not count as stale`,
    });
  }
  const withVex = applyVex(merged, vex);
  return { facts: withVex.facts, notes: [...notes, ...withVex.notes] };
}

function scannersWithoutDbTime(facts: ImageFacts): string {
  const names = [...new Set((facts.provenance ?? []).map((p) => p.source))];
  return names.length > 0 ? `none of ${names.join(", ")} gives one` : "no provenance was given";
}

function loadFactsDocument(input: InputText): ImageFacts {
  const document = parseDocumentText(input.text, input.source);
  if (document !== null && typeof document === "object" && !Array.isArray(document) && "image" in document) {
    const { image, ...rest } = document as Record<string, unknown>;
    if (typeof image === "string" && !("ref" in rest)) {
      return factsFromDocument({ ...rest, ref: parseImageReference(image) }, input.source);
    }
  }
  return factsFromDocument(document, input.source);
}

/**
 * The image checked: the IMAGE argument, else the facts document's, else the first report naming one (by
 * reference, then by repo digest), else the first valid digest a report gives (Clair v4's `manifest_hash`):
 * that image is then known by its digest only. Refuses when not even a digest is known.
 */
function chooseRef(
  image: string | undefined,
  base: ImageFacts | undefined,
  reports: { source: string; report: ParsedReport }[],
): ImageRef {
  if (image !== undefined) return parseImageReference(image);
  if (base) return base.ref;
  for (const { report } of reports) {
    const named = namedRef(report);
    if (named) return named;
  }
  for (const { report } of reports) {
    const digest = report.image?.digest;
    if (digest !== undefined && isImageDigest(digest)) return digestOnlyRef(digest);
  }
  const looked = reports.map(({ source, report }) =>
    report.image?.ref
      ? `${source} (names ${JSON.stringify(report.image.ref)}, not an image reference)`
      : report.image?.digest
        ? `${source} (gives only the digest ${JSON.stringify(report.image.digest)}, which is not a valid image digest)`
        : `${source} (names no image)`,
  );
  throw new CipError(
    "CIP_USAGE",
    `Cannot tell which image is being checked: no input names one${looked.length > 0 ? `; looked at ${looked.join(", ")}` : " (no IMAGE, --facts or --report was given)"}`,
    { hint: "Name the image: `cipolice check IMAGE --report FILE`." },
  );
}

/** The image a report names by reference or by repo digest (`name@sha256:…`), with its digest when given. */
function namedRef(report: ParsedReport): ImageRef | undefined {
  const digest = report.image?.digest ?? report.image?.repoDigests?.[0]?.split("@")[1];
  for (const named of [report.image?.ref, ...(report.image?.repoDigests ?? [])]) {
    if (!named) continue;
    try {
      const ref = parseImageReference(named);
      return digest && !ref.digest ? { ...ref, digest } : ref;
    } catch {
      // A report may name its target in a way that is not an image reference (a path): try the next.
    }
  }
  return undefined;
}

/** How a report's image differs from the checked one, or undefined when they agree or it cannot tell. */
function describeMismatch(
  ref: ImageRef,
  digest: string | undefined,
  report: Pick<ParsedReport, "image">,
): string | undefined {
  const image = report.image;
  if (!image) return undefined;
  const reportDigests = [image.digest, ...(image.repoDigests ?? []).map((d) => d.split("@")[1])].filter(
    (d): d is string => d !== undefined && d !== "",
  );
  if (digest && reportDigests.length > 0) {
    return reportDigests.includes(digest) ? undefined : `image digest ${reportDigests[0]}`;
  }
  // Names alone cannot tell whether an image known only by its digest is the one a report names.
  if (!image.ref || isDigestOnly(ref)) return undefined;
  try {
    const other = parseImageReference(image.ref);
    const same =
      other.registry === ref.registry &&
      other.repository === ref.repository &&
      (other.tag ?? "latest") === (ref.tag ?? "latest");
    return same ? undefined : formatImageReference(other);
  } catch {
    return undefined;
  }
}
