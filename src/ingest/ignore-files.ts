import { CipError, type FixState } from "../model/index.js";
import { normalizePackageType } from "./normalize/package-type.js";
import { parseDocumentText } from "./parse-document.js";

/** The formats of scanner ignore files we read. */
export type IgnoreFileFormat = "trivyignore" | "trivyignore-yaml" | "grype";

/**
 * One ignore rule, as data: every field given must match a finding (Grype ANDs them; a Trivy rule is an
 * id with optional paths and purls, either of which may match). A rule without `vulnerability` matches
 * any vulnerability (Grype rules on fix state or package alone).
 */
export interface IgnoreRule {
  /** Where the rule is in its file, for messages (`line 3`, `ignore[2]`, `vulnerabilities[0]`). */
  where: string;
  vulnerability?: string;
  fixState?: FixState;
  packageName?: string;
  packageVersion?: string;
  /** Package type in our words (`dpkg`, `java`, `go`, …). */
  packageType?: string;
  /** Grype's `package.location`: a path glob (`*`, `**`) the package's path must match. */
  location?: string;
  /** Trivy's `paths`: the package's path must match one of them (globs allowed). */
  paths?: string[];
  /** Trivy's `purls`: the package's purl must match one (a purl without version matches any version). */
  purls?: string[];
  reason?: string;
  /** RFC 3339 date-time after which the rule no longer applies. */
  expiresOn?: string;
}

/** A parsed ignore file: its rules, and notes on what it holds that we do not apply. */
export interface IgnoreFile {
  source: string;
  format: IgnoreFileFormat;
  rules: IgnoreRule[];
  notes: string[];
}

/**
 * Reads a Trivy `.trivyignore` (one id a line, `#` comments, optional `exp:YYYY-MM-DD`), a
 * `.trivyignore.yaml` (`vulnerabilities: [{id, paths, purls, statement, expired_at}]`) or a Grype
 * `.grype.yaml` (`ignore: [{vulnerability, fix-state, package: {name, version, type, location}, reason}]`).
 * YAML files are told apart by their top-level keys; any other file is read as a `.trivyignore`.
 */
export function parseIgnoreFile(text: string, source: string): IgnoreFile {
  if (/\.ya?ml$/i.test(source) || /^\s*(ignore|vulnerabilities)\s*:/m.test(text)) {
    const document = parseDocumentText(text, source);
    if (document !== null && typeof document === "object" && !Array.isArray(document)) {
      const doc = document as Record<string, unknown>;
      if ("ignore" in doc) return grypeIgnore(doc, source);
      if (["vulnerabilities", "misconfigurations", "secrets", "licenses"].some((k) => k in doc))
        return trivyIgnoreYaml(doc, source);
    }
    if (document === null) return { source, format: "trivyignore-yaml", rules: [], notes: [] };
    throw invalid(
      source,
      "it has neither Grype's `ignore:` list nor Trivy's `vulnerabilities:` list",
      "(top level)",
    );
  }
  return trivyIgnore(text, source);
}

function trivyIgnore(text: string, source: string): IgnoreFile {
  const rules: IgnoreRule[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/#.*$/, "").trim();
    if (line === "") return;
    const [id, ...rest] = line.split(/\s+/);
    const rule: IgnoreRule = { where: `line ${i + 1}`, vulnerability: id as string };
    const comment = /#\s*(.*)$/.exec(raw)?.[1]?.trim();
    if (comment) rule.reason = comment;
    for (const word of rest) {
      const exp = /^exp:(.*)$/.exec(word);
      if (!exp) continue;
      rule.expiresOn = expiry(exp[1] as string, source, `line ${i + 1}`);
    }
    rules.push(rule);
  });
  return { source, format: "trivyignore", rules, notes: [] };
}

function trivyIgnoreYaml(doc: Record<string, unknown>, source: string): IgnoreFile {
  const notes: string[] = [];
  for (const key of ["misconfigurations", "secrets", "licenses"]) {
    const list = doc[key];
    if (Array.isArray(list) && list.length > 0)
      notes.push(`${list.length} ${key} entries were not applied: the facts hold only vulnerabilities`);
  }
  const rules = list(doc.vulnerabilities, source, "vulnerabilities").map((entry, i) => {
    const where = `vulnerabilities[${i}]`;
    const id = entry.id;
    if (typeof id !== "string" || id === "") throw invalid(source, "an entry has no `id`", where);
    const rule: IgnoreRule = { where, vulnerability: id };
    const paths = strings(entry.paths, source, `${where}.paths`);
    if (paths) rule.paths = paths;
    const purls = strings(entry.purls, source, `${where}.purls`);
    if (purls) rule.purls = purls;
    if (typeof entry.statement === "string") rule.reason = entry.statement;
    if (entry.expired_at !== undefined && entry.expired_at !== null)
      rule.expiresOn = expiry(dateText(entry.expired_at), source, `${where}.expired_at`);
    return rule;
  });
  return { source, format: "trivyignore-yaml", rules, notes };
}

const GRYPE_FIX_STATES: Record<string, FixState> = {
  fixed: "fixed",
  "not-fixed": "not-fixed",
  "wont-fix": "wont-fix",
  unknown: "unknown",
};

function grypeIgnore(doc: Record<string, unknown>, source: string): IgnoreFile {
  const notes: string[] = [];
  const rules = list(doc.ignore, source, "ignore").map((entry, i) => {
    const where = `ignore[${i}]`;
    const rule: IgnoreRule = { where };
    if (typeof entry.vulnerability === "string" && entry.vulnerability !== "")
      rule.vulnerability = entry.vulnerability;
    const state = entry["fix-state"];
    if (typeof state === "string" && state !== "") {
      const fixState = GRYPE_FIX_STATES[state];
      if (!fixState)
        throw invalid(
          source,
          `fix-state ${JSON.stringify(state)} is not one of fixed, not-fixed, wont-fix, unknown`,
          `${where}.fix-state`,
        );
      rule.fixState = fixState;
    }
    const pkg = entry.package;
    if (pkg !== null && typeof pkg === "object" && !Array.isArray(pkg)) {
      const p = pkg as Record<string, unknown>;
      if (typeof p.name === "string" && p.name !== "") rule.packageName = p.name;
      if (typeof p.version === "string" && p.version !== "") rule.packageVersion = p.version;
      if (typeof p.type === "string" && p.type !== "") rule.packageType = normalizePackageType(p.type);
      if (typeof p.location === "string" && p.location !== "") rule.location = p.location;
    }
    if (typeof entry.reason === "string") rule.reason = entry.reason;
    for (const key of ["vex-status", "vex-justification", "match-type"]) {
      if (entry[key] !== undefined)
        notes.push(
          `${where}: \`${key}\` is not applied (the facts do not keep it); the rule's other fields are`,
        );
    }
    if (Object.keys(rule).length === 1)
      throw invalid(source, "the rule names nothing to match (vulnerability, fix-state or package)", where);
    return rule;
  });
  return { source, format: "grype", rules, notes };
}

function list(value: unknown, source: string, where: string): Record<string, unknown>[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw invalid(source, "expected a list", where);
  return value.map((entry, i) => {
    if (entry === null || typeof entry !== "object" || Array.isArray(entry))
      throw invalid(source, "expected a mapping", `${where}[${i}]`);
    return entry as Record<string, unknown>;
  });
}

function strings(value: unknown, source: string, where: string): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.some((v) => typeof v !== "string"))
    throw invalid(source, "expected a list of strings", where);
  return value.length > 0 ? (value as string[]) : undefined;
}

/** YAML reads a bare `2024-08-20` as a string here, but a Date in some schemas: accept both. */
function dateText(value: unknown): string {
  return value instanceof Date ? value.toISOString().slice(0, 10) : String(value);
}

function expiry(text: string, source: string, where: string): string {
  const date = /^(\d{4}-\d{2}-\d{2})(T.*)?$/.exec(text.trim());
  const iso = date ? (date[2] ? text.trim() : `${date[1]}T00:00:00Z`) : "";
  if (!date || Number.isNaN(Date.parse(iso)))
    throw invalid(source, `expiry ${JSON.stringify(text)} is not a date (write YYYY-MM-DD)`, where);
  return iso;
}

function invalid(source: string, what: string, where: string): CipError {
  return new CipError("CIP_PARSE", `Cannot read ignore file ${source}: ${what} (${where})`, {
    hint: "Write a .trivyignore (one id a line, optional exp:YYYY-MM-DD), a .trivyignore.yaml (vulnerabilities: [{id, paths, purls, statement, expired_at}]) or a .grype.yaml (ignore: [{vulnerability, fix-state, package: {name, version, type, location}, reason}]).",
  });
}
