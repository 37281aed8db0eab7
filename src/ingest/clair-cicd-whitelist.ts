import { CipError } from "../model/index.js";
import { isObject } from "./document-reader.js";

/** The severities a clair-cicd whitelist may name as its threshold, in ascending order. */
export const CLAIR_CICD_SEVERITIES = ["negligible", "low", "medium", "high"] as const;

/** One of the severities a clair-cicd threshold may take. */
export type ClairCicdSeverity = (typeof CLAIR_CICD_SEVERITIES)[number];

/** A clair-cicd whitelist, read and checked. */
export interface ClairCicdWhitelist {
  /** Vulnerabilities at or below this severity are ignored; any above it fails the image. */
  ignoreSevertiesAtOrBelow: ClairCicdSeverity;
  /** Vulnerabilities that never fail the image, whatever their severity. */
  vulnerabilities: { cveId: string; rationale?: string }[];
  /** Where the whitelist came from (a file name, or `json://…`), to cite in the bundle. */
  source: string;
}

/** clair-cicd's whitelist when none is given. */
export const DEFAULT_CLAIR_CICD_WHITELIST = 'json://{"ignoreSevertiesAtOrBelow":"medium"}';

const INLINE_PREFIX = "json://";
// clair-cicd spells the key this way; the correct spelling is a likely typo to point out.
const THRESHOLD_KEY = "ignoreSevertiesAtOrBelow";
const WHITELIST_KEYS: ReadonlySet<string> = new Set([THRESHOLD_KEY, "vulnerabilities"]);
const ITEM_KEYS: ReadonlySet<string> = new Set(["cveId", "rationale"]);
const POLICY_ID = "clair-cicd";
const ALLOWLIST_ID = "clair-cicd-whitelist";

/**
 * Reads a clair-cicd whitelist (`{"ignoreSevertiesAtOrBelow": "medium", "vulnerabilities": [{"cveId",
 * "rationale"}]}`) from the text of a file or from a `json://{…}` value. The threshold is any case of
 * negligible|low|medium|high and defaults to medium. Throws CIP_USAGE naming the field for a bad json://
 * value, an unknown severity or a wrong shape, and CIP_PARSE when a file is not JSON.
 */
export function parseClairCicdWhitelist(text: string, source: string): ClairCicdWhitelist {
  const trimmed = text.replace(/^\uFEFF/, "").trim();
  const inline = trimmed.startsWith(INLINE_PREFIX);
  const json = inline ? trimmed.slice(INLINE_PREFIX.length) : trimmed;
  let document: unknown;
  try {
    if (json === "") throw new Error("it is empty");
    document = JSON.parse(json);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new CipError(
      inline ? "CIP_USAGE" : "CIP_PARSE",
      `Cannot read clair-cicd whitelist ${source}: not valid JSON (${reason})`,
      { hint: `Write it as ${DEFAULT_CLAIR_CICD_WHITELIST} or a JSON file of that shape.`, cause: error },
    );
  }
  const fail = (field: string, what: string, hint?: string) =>
    new CipError("CIP_USAGE", `Cannot use clair-cicd whitelist ${source}: ${what} (at ${field})`, {
      hint:
        hint ??
        `A whitelist reads {"${THRESHOLD_KEY}": "medium", "vulnerabilities": [{"cveId": "CVE-…", "rationale": "…"}]}.`,
    });
  if (!isObject(document)) throw fail("$", "expected a JSON object");
  for (const key of Object.keys(document)) {
    if (WHITELIST_KEYS.has(key)) continue;
    const typo = key.toLowerCase() === "ignoreseveritiesatorbelow";
    throw fail(
      key,
      `unknown field "${key}"`,
      typo ? `clair-cicd spells this key "${THRESHOLD_KEY}" (sic); use that spelling.` : undefined,
    );
  }
  const threshold = readThreshold(document[THRESHOLD_KEY], fail);
  const raw = document.vulnerabilities;
  if (raw !== undefined && !Array.isArray(raw))
    throw fail("vulnerabilities", "expected a list of {cveId, rationale}");
  const vulnerabilities: ClairCicdWhitelist["vulnerabilities"] = [];
  for (const [i, item] of (raw ?? []).entries()) {
    const field = `vulnerabilities[${i}]`;
    if (!isObject(item)) throw fail(field, "expected an object {cveId, rationale}");
    const unknown = Object.keys(item).find((k) => !ITEM_KEYS.has(k));
    if (unknown !== undefined) throw fail(`${field}.${unknown}`, `unknown field "${unknown}"`);
    const cveId = typeof item.cveId === "string" ? item.cveId.trim() : "";
    if (cveId === "") throw fail(`${field}.cveId`, "a vulnerability id is required");
    if (item.rationale !== undefined && typeof item.rationale !== "string") {
      throw fail(`${field}.rationale`, "expected a string");
    }
    const rationale = item.rationale?.trim();
    vulnerabilities.push({ cveId, ...(rationale ? { rationale } : {}) });
  }
  return { ignoreSevertiesAtOrBelow: threshold, vulnerabilities, source };
}

function readThreshold(
  value: unknown,
  fail: (field: string, what: string, hint?: string) => CipError,
): ClairCicdSeverity {
  if (value === undefined) return "medium";
  const wanted = typeof value === "string" ? value.trim().toLowerCase() : undefined;
  const found = CLAIR_CICD_SEVERITIES.find((s) => s === wanted);
  if (found) return found;
  throw fail(
    THRESHOLD_KEY,
    `unknown severity ${JSON.stringify(value)}`,
    `Choose one of ${CLAIR_CICD_SEVERITIES.join(", ")} (any case).`,
  );
}

/**
 * The policy bundle document (Anchore v1_0) that decides as clair-cicd's assessor does with this whitelist:
 * one rule stops on any vulnerability, of any package type and vendor status, whose severity is above the
 * threshold; an allowlist item per listed id suppresses it on every package (`CVE-…+*`, the rationale as
 * reason); one mapping applies both to every image.
 */
export function clairCicdBundle(whitelist: ClairCicdWhitelist): Record<string, unknown> {
  const threshold = whitelist.ignoreSevertiesAtOrBelow;
  const items: Record<string, unknown>[] = [];
  const seen = new Set<string>();
  for (const { cveId, rationale } of whitelist.vulnerabilities) {
    // An id listed twice is one exception; the first rationale stands.
    if (seen.has(cveId)) continue;
    seen.add(cveId);
    items.push({
      id: cveId,
      gate: "vulnerabilities",
      trigger_id: `${cveId}+*`,
      ...(rationale !== undefined ? { reason: rationale } : {}),
    });
  }
  return {
    id: "clair-cicd",
    name: "clair-cicd whitelist",
    version: "1_0",
    comment: `Translated from the clair-cicd whitelist ${whitelist.source}: fail on any vulnerability above ${threshold} unless listed.`,
    policies: [
      {
        id: POLICY_ID,
        name: `Vulnerabilities above ${threshold}`,
        version: "1_0",
        rules: [
          {
            id: `severity-above-${threshold}`,
            gate: "vulnerabilities",
            trigger: "package",
            action: "STOP",
            params: [
              { name: "package_type", value: "all" },
              { name: "severity_comparison", value: ">" },
              { name: "severity", value: threshold },
              // clair-cicd counts every vulnerability, including those the vendor will not fix.
              { name: "vendor_only", value: "false" },
            ],
          },
        ],
      },
    ],
    whitelists: [{ id: ALLOWLIST_ID, name: "clair-cicd whitelist", version: "1_0", items }],
    mappings: [
      {
        id: "every-image",
        name: "Every image",
        registry: "*",
        repository: "*",
        image: { type: "tag", value: "*" },
        policy_ids: [POLICY_ID],
        whitelist_ids: [ALLOWLIST_ID],
      },
    ],
    whitelisted_images: [],
    blacklisted_images: [],
  };
}
