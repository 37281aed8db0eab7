import { CipError } from "../model/errors.js";

/** How large one OSV record may be; real records stay far below (the largest, kernel CVEs, are a few MB). */
export interface OsvRecordLimits {
  maxBytes: number;
  maxAffected: number;
  maxRangesPerAffected: number;
  maxEventsPerRange: number;
  /** Most entries of one affected entry's `versions` list. */
  maxVersionsPerAffected: number;
  /** Most `versions` entries over the whole record. */
  maxVersionsPerRecord: number;
  /** Most entries of `aliases`, `related`, `upstream`, `severity` and `references` each. */
  maxListEntries: number;
  /** Longest id, name, ecosystem or version string. */
  maxStringLength: number;
}

/** Default record limits. */
export const DEFAULT_RECORD_LIMITS: Readonly<OsvRecordLimits> = {
  maxBytes: 16 * 1024 * 1024,
  maxAffected: 20_000,
  maxRangesPerAffected: 1_000,
  maxEventsPerRange: 10_000,
  maxVersionsPerAffected: 100_000,
  maxVersionsPerRecord: 500_000,
  maxListEntries: 10_000,
  maxStringLength: 4096,
};

/** One event of an OSV range. */
export type OsvEvent =
  | { kind: "introduced"; version: string }
  | { kind: "fixed"; version: string }
  | { kind: "last_affected"; version: string }
  | { kind: "limit"; version: string };

/** An affected range: `ECOSYSTEM`, `SEMVER` or `GIT` (others are kept but never matched). */
export interface OsvRange {
  type: string;
  events: OsvEvent[];
}

/** A severity entry: `CVSS_V2`, `CVSS_V3`, `CVSS_V4` vectors, or `Ubuntu` with a word score. */
export interface OsvSeverity {
  type: string;
  score: string;
}

/** One `affected` entry of a record. */
export interface OsvAffected {
  ecosystem: string;
  name: string;
  purl?: string;
  ranges: OsvRange[];
  versions: string[];
  severity: OsvSeverity[];
  /** A severity word from `ecosystem_specific.severity` or `database_specific.severity`, when there. */
  severityWord?: string;
  /** Binary packages built from this source package (`ecosystem_specific.binaries`), when listed. */
  binaries?: string[];
}

/** An OSV record, validated and reduced to what import and matching use. */
export interface OsvRecord {
  id: string;
  modified: string;
  published?: string;
  withdrawn?: string;
  aliases: string[];
  related: string[];
  upstream: string[];
  summary?: string;
  details?: string;
  severity: OsvSeverity[];
  /** `database_specific.severity` of the record (GitHub's `MODERATE`, `HIGH`…), when there. */
  severityWord?: string;
  affected: OsvAffected[];
  references: { type: string; url: string }[];
}

const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:+-]*$/;
const EVENT_KINDS = ["introduced", "fixed", "last_affected", "limit"] as const;

/** A record failed validation: the message names the record's file (or zip entry) and the field. */
function invalid(where: string, what: string, hint?: string): CipError {
  return new CipError("CIP_REPORT_INVALID", `Cannot read OSV record: ${what} (${where})`, {
    hint: hint ?? "Give OSV records as osv-schema defines them (https://ossf.github.io/osv-schema/).",
  });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

class RecordReader {
  versionsSeen = 0;

  constructor(
    readonly where: string,
    readonly limits: OsvRecordLimits,
  ) {}

  string(value: unknown, field: string, required: true): string;
  string(value: unknown, field: string, required?: false): string | undefined;
  string(value: unknown, field: string, required = false): string | undefined {
    if (value === undefined || value === null) {
      if (required) throw invalid(this.where, `${field} is missing`);
      return undefined;
    }
    if (typeof value !== "string") throw invalid(this.where, `${field} is not a string`);
    if (value.length > this.limits.maxStringLength && field !== "details" && field !== "summary") {
      throw invalid(this.where, `${field} is longer than ${this.limits.maxStringLength} characters`);
    }
    return value;
  }

  list(value: unknown, field: string, max: number): unknown[] {
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value)) throw invalid(this.where, `${field} is not an array`);
    if (value.length > max) {
      throw invalid(this.where, `${field} has ${value.length} entries, over the limit of ${max}`);
    }
    return value;
  }

  strings(value: unknown, field: string, max = this.limits.maxListEntries): string[] {
    return this.list(value, field, max).map((item, i) => this.string(item, `${field}[${i}]`, true));
  }

  severity(value: unknown, field: string): OsvSeverity[] {
    return this.list(value, field, this.limits.maxListEntries).map((item, i) => {
      if (!isObject(item)) throw invalid(this.where, `${field}[${i}] is not an object`);
      return {
        type: this.string(item.type, `${field}[${i}].type`, true),
        score: this.string(item.score, `${field}[${i}].score`, true),
      };
    });
  }

  range(value: unknown, field: string): OsvRange {
    if (!isObject(value)) throw invalid(this.where, `${field} is not an object`);
    const type = this.string(value.type, `${field}.type`, true);
    const events = this.list(value.events, `${field}.events`, this.limits.maxEventsPerRange).map((item, i) =>
      this.event(item, `${field}.events[${i}]`),
    );
    if (type !== "GIT" && !events.some((e) => e.kind === "introduced")) {
      throw invalid(this.where, `${field} has no introduced event`);
    }
    return { type, events };
  }

  event(value: unknown, field: string): OsvEvent {
    if (!isObject(value)) throw invalid(this.where, `${field} is not an object`);
    const kinds = EVENT_KINDS.filter((k) => value[k] !== undefined);
    const kind = kinds[0];
    if (kind === undefined || kinds.length > 1) {
      throw invalid(this.where, `${field} must hold exactly one of introduced, fixed, last_affected, limit`);
    }
    return { kind, version: this.string(value[kind], `${field}.${kind}`, true) };
  }

  /** An affected entry; undefined for one without a package (GIT ranges only), which nothing matches. */
  affected(value: unknown, field: string): OsvAffected | undefined {
    if (!isObject(value)) throw invalid(this.where, `${field} is not an object`);
    const pkg = value.package;
    if (pkg === undefined || pkg === null) return undefined;
    if (!isObject(pkg)) throw invalid(this.where, `${field}.package is not an object`);
    const versions = this.strings(value.versions, `${field}.versions`, this.limits.maxVersionsPerAffected);
    this.versionsSeen += versions.length;
    if (this.versionsSeen > this.limits.maxVersionsPerRecord) {
      throw invalid(this.where, `the record lists more than ${this.limits.maxVersionsPerRecord} versions`);
    }
    const ecosystemSpecific = isObject(value.ecosystem_specific) ? value.ecosystem_specific : {};
    const databaseSpecific = isObject(value.database_specific) ? value.database_specific : {};
    const word = ecosystemSpecific.severity ?? databaseSpecific.severity;
    const binaries = this.binaries(ecosystemSpecific.binaries, `${field}.ecosystem_specific.binaries`);
    const affected: OsvAffected = {
      ecosystem: this.string(pkg.ecosystem, `${field}.package.ecosystem`, true),
      name: this.string(pkg.name, `${field}.package.name`, true),
      purl: this.string(pkg.purl, `${field}.package.purl`),
      ranges: this.list(value.ranges, `${field}.ranges`, this.limits.maxRangesPerAffected).map((r, i) =>
        this.range(r, `${field}.ranges[${i}]`),
      ),
      versions,
      severity: this.severity(value.severity, `${field}.severity`),
    };
    if (typeof word === "string" && word.length <= 64) affected.severityWord = word;
    if (binaries.length > 0) affected.binaries = binaries;
    return affected;
  }

  // Ubuntu writes `binaries` as [{name: version}], SUSE as names; both give the binary package names.
  binaries(value: unknown, field: string): string[] {
    const names = new Set<string>();
    for (const item of this.list(value, field, this.limits.maxListEntries)) {
      if (typeof item === "string") names.add(item);
      else if (isObject(item)) {
        const keys = Object.keys(item);
        if (typeof item.binary_name === "string") names.add(item.binary_name);
        else if (keys.length <= 8) for (const key of keys) names.add(key);
      }
    }
    return [...names].filter((n) => n.length <= this.limits.maxStringLength);
  }
}

/**
 * Parses and validates one OSV record from its bytes. `where` names the file or zip entry in errors
 * (`all.zip!GHSA-xxxx.json`). Throws CIP_PARSE for text that is not JSON, CIP_INPUT_TOO_LARGE for a record
 * over the byte limit, CIP_REPORT_INVALID for a record that breaks the schema or the count limits.
 */
export function parseOsvRecord(
  bytes: Buffer | string,
  where: string,
  limits: Partial<OsvRecordLimits> = {},
): OsvRecord {
  const all = { ...DEFAULT_RECORD_LIMITS, ...limits };
  const size = typeof bytes === "string" ? Buffer.byteLength(bytes) : bytes.length;
  if (size > all.maxBytes) {
    throw new CipError(
      "CIP_INPUT_TOO_LARGE",
      `Cannot read OSV record: it is ${size} bytes, over the ${all.maxBytes}-byte record limit (${where})`,
      { hint: "OSV records are small; this file is not one, or it is hostile." },
    );
  }
  let document: unknown;
  try {
    document = JSON.parse(typeof bytes === "string" ? bytes : bytes.toString("utf8"));
  } catch (error) {
    throw new CipError(
      "CIP_PARSE",
      `Cannot read OSV record: it is not valid JSON: ${(error as Error).message} (${where})`,
      {
        hint: "Give OSV records in JSON; the file may be truncated.",
      },
    );
  }
  return validateOsvRecord(document, where, all);
}

/** Validates a parsed OSV record document; see {@link parseOsvRecord}. */
export function validateOsvRecord(
  document: unknown,
  where: string,
  limits: Partial<OsvRecordLimits> = {},
): OsvRecord {
  const reader = new RecordReader(where, { ...DEFAULT_RECORD_LIMITS, ...limits });
  if (!isObject(document)) throw invalid(where, "the document is not a JSON object");
  const id = reader.string(document.id, "id", true);
  if (!ID_PATTERN.test(id) || id.length > 200)
    throw invalid(where, `id ${JSON.stringify(id.slice(0, 80))} is not an OSV id`);
  const at = `${where}: ${id}`;
  const named = new RecordReader(at, reader.limits);
  const databaseSpecific = isObject(document.database_specific) ? document.database_specific : {};
  const record: OsvRecord = {
    id,
    modified: named.string(document.modified, "modified", true),
    published: named.string(document.published, "published"),
    withdrawn: named.string(document.withdrawn, "withdrawn"),
    aliases: named.strings(document.aliases, "aliases"),
    related: named.strings(document.related, "related"),
    upstream: named.strings(document.upstream, "upstream"),
    summary: named.string(document.summary, "summary"),
    details: named.string(document.details, "details"),
    severity: named.severity(document.severity, "severity"),
    affected: named
      .list(document.affected, "affected", named.limits.maxAffected)
      .flatMap((a, i) => named.affected(a, `affected[${i}]`) ?? []),
    references: named.list(document.references, "references", named.limits.maxListEntries).flatMap((r) => {
      if (!isObject(r) || typeof r.url !== "string" || typeof r.type !== "string") return [];
      return [{ type: r.type, url: r.url }];
    }),
  };
  if (typeof databaseSpecific.severity === "string" && databaseSpecific.severity.length <= 64) {
    record.severityWord = databaseSpecific.severity;
  }
  return record;
}
