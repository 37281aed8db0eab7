import {
  type ImageFacts,
  NON_OS_PACKAGE_TYPES,
  SEVERITIES,
  type Severity,
  severityRank,
  type Vulnerability,
} from "../../model/index.js";
import { compileParamRegex } from "../eval-regex.js";
import type { GateSpec, ParamSpec, TriggerSpec } from "../gate-types.js";
import { pyStrListRepr } from "../python-format.js";
import { pythonMatch } from "../python-regex.js";
import type { TriggerParams } from "../trigger-params.js";

const GATE = "vulnerabilities";
const DAY_SECONDS = 86400;

/** Comparison operators anchore-engine accepts for severities and CVSS scores, in its declared order. */
const COMPARISONS = ["=", "!=", "<", ">", "<=", ">="] as const;
type Comparison = (typeof COMPARISONS)[number];

const COMPARE: Record<Comparison, (found: number, wanted: number) => boolean> = {
  "=": (a, b) => a === b,
  "!=": (a, b) => a !== b,
  "<": (a, b) => a < b,
  ">": (a, b) => a > b,
  "<=": (a, b) => a <= b,
  ">=": (a, b) => a >= b,
};

const NON_OS = new Set(NON_OS_PACKAGE_TYPES);
const SEVERITY_UPPER = SEVERITIES.map((s) => s.toUpperCase());
const PACKAGE_CLASS = ["os", "non-os"] as const;
// "HIGH Vulnerability found in os package type (" for every class x severity, built once.
const MESSAGE_PREFIX = PACKAGE_CLASS.flatMap((cls) =>
  SEVERITY_UPPER.map((sev) => `${sev} Vulnerability found in ${cls} package type (`),
);

/** Max CVSS v3 base/exploitability/impact scores per vulnerability, -1 where there is none. */
interface ScoreTable {
  base: Float64Array;
  exploitability: Float64Array;
  impact: Float64Array;
}

/** Per-image data shared by this gate's triggers, computed once per image and lazily per need. */
class VulnerabilityIndex {
  readonly vulns: readonly Vulnerability[] | undefined;
  readonly count: number;
  /** `distro:version`, or Python's None as anchore prints a missing namespace. */
  readonly distroNamespace: string;
  /** Epoch ms of the oldest vulnerability DB update in the provenance, when any entry carries one. */
  readonly oldestFeedSync: number | undefined;
  /** The first provenance `dbUpdatedAt` that is not a date, if any. */
  readonly invalidFeedSync: string | undefined;
  private readonly nowMs: number;
  private classes: Uint8Array | undefined;
  private ranks: Uint8Array | undefined;
  private nvd: ScoreTable | undefined;
  private vendor: ScoreTable | undefined;
  private detected: Float64Array | undefined;
  private fixSeen: Float64Array | undefined;
  private readonly dayNames = new Map<number, string>();
  private messages: (string | undefined)[] | undefined;
  private triggerIds: (string | undefined)[] | undefined;

  constructor(facts: ImageFacts, now: Date) {
    this.vulns = facts.vulnerabilities;
    this.count = this.vulns?.length ?? 0;
    this.nowMs = now.getTime();
    const distro = facts.distro;
    this.distroNamespace = distro?.name && distro.version ? `${distro.name}:${distro.version}` : "None";
    let oldest: number | undefined;
    let invalid: string | undefined;
    for (const p of facts.provenance ?? []) {
      if (p.dbUpdatedAt === undefined) continue;
      const ms = Date.parse(p.dbUpdatedAt);
      if (Number.isNaN(ms)) invalid ??= p.dbUpdatedAt;
      else if (oldest === undefined || ms < oldest) oldest = ms;
    }
    this.oldestFeedSync = oldest;
    this.invalidFeedSync = invalid;
  }

  /** The message of finding i as a rule without score or time parameters prints it, once built. */
  cachedMessage(i: number): string | undefined {
    return this.messages?.[i];
  }

  /** Keeps the plain message of finding i for the other rules of this image. */
  cacheMessage(i: number, message: string): void {
    this.messages ??= new Array<string | undefined>(this.count);
    this.messages[i] = message;
  }

  /** The package trigger id of finding i (`<vuln id>+<package>`), built once per image. */
  triggerId(i: number, nonOs: boolean): string {
    this.triggerIds ??= new Array<string | undefined>(this.count);
    let id = this.triggerIds[i];
    if (id === undefined) {
      const v = this.vulns?.[i] as Vulnerability;
      id = `${v.id}+${packageKey(v, nonOs)}`;
      this.triggerIds[i] = id;
    }
    return id;
  }

  /** 1 where the vulnerable package is a non-OS package (anchore's `nonos_package_types`), else 0. */
  packageClasses(): Uint8Array {
    if (this.classes) return this.classes;
    const out = new Uint8Array(this.count);
    const byType = new Map<string, number>();
    for (let i = 0; i < this.count; i++) {
      const type = (this.vulns as readonly Vulnerability[])[i]?.package.type ?? "";
      let cls = byType.get(type);
      if (cls === undefined) {
        cls = NON_OS.has(type.toLowerCase()) ? 1 : 0;
        byType.set(type, cls);
      }
      out[i] = cls;
    }
    this.classes = out;
    return out;
  }

  /** Severity rank per vulnerability (unknown = 0 … critical = 5). */
  severityRanks(): Uint8Array {
    if (this.ranks) return this.ranks;
    const out = new Uint8Array(this.count);
    for (let i = 0; i < this.count; i++) {
      const v = (this.vulns as readonly Vulnerability[])[i];
      out[i] = v ? (severityRank(v.severity) ?? 0) : 0;
    }
    this.ranks = out;
    return out;
  }

  /** Max CVSS v3 scores from the given source, as anchore takes them (versions starting with "3"). */
  scores(source: "nvd" | "vendor"): ScoreTable {
    const cached = source === "nvd" ? this.nvd : this.vendor;
    if (cached) return cached;
    const table: ScoreTable = {
      base: new Float64Array(this.count).fill(-1),
      exploitability: new Float64Array(this.count).fill(-1),
      impact: new Float64Array(this.count).fill(-1),
    };
    for (let i = 0; i < this.count; i++) {
      const entries = (this.vulns as readonly Vulnerability[])[i]?.cvss;
      if (!entries) continue;
      for (const e of entries) {
        if (e.source !== source || !e.version.startsWith("3")) continue;
        if (e.baseScore > (table.base[i] as number)) table.base[i] = e.baseScore;
        if (
          e.exploitabilityScore !== undefined &&
          e.exploitabilityScore > (table.exploitability[i] as number)
        ) {
          table.exploitability[i] = e.exploitabilityScore;
        }
        if (e.impactScore !== undefined && e.impactScore > (table.impact[i] as number))
          table.impact[i] = e.impactScore;
      }
    }
    if (source === "nvd") this.nvd = table;
    else this.vendor = table;
    return table;
  }

  /** When each vulnerability was first detected (epoch ms); unknown counts as detected now. */
  detectedTimes(): Float64Array {
    this.detected ??= this.times("detectedAt", this.nowMs);
    return this.detected;
  }

  /** When a fix was first seen (epoch ms), or NaN when unknown. */
  fixSeenTimes(): Float64Array {
    this.fixSeen ??= this.times("fixAvailableAt", Number.NaN);
    return this.fixSeen;
  }

  /** `YYYY-MM-DD` (UTC) of an epoch-ms instant, as Python prints a `date`; memoised since findings share days. */
  dayName(ms: number): string {
    const day = Math.floor(ms / 86_400_000);
    let name = this.dayNames.get(day);
    if (name === undefined) {
      name = new Date(day * 86_400_000).toISOString().slice(0, 10);
      this.dayNames.set(day, name);
    }
    return name;
  }

  private times(field: "detectedAt" | "fixAvailableAt", unknown: number): Float64Array {
    const out = new Float64Array(this.count);
    let lastText: string | undefined;
    let lastMs = unknown;
    for (let i = 0; i < this.count; i++) {
      const text = (this.vulns as readonly Vulnerability[])[i]?.[field];
      // Findings of one scan usually share their times: parse each run of equal strings once.
      if (text !== lastText) {
        lastText = text;
        const ms = text === undefined ? Number.NaN : Date.parse(text);
        lastMs = Number.isNaN(ms) ? unknown : ms;
      }
      out[i] = lastMs;
    }
    return out;
  }
}

/** The gate data `prepare` made for this image. */
function gateData(data: unknown): VulnerabilityIndex {
  return data as VulnerabilityIndex;
}

/** The fixed-in versions as anchore prints them (non-empty ones joined by ", "), or undefined when none. */
function fixedIn(v: Vulnerability): string | undefined {
  const versions = v.fix.versions;
  if (versions.length === 0) return undefined;
  if (versions.length === 1) return versions[0] || undefined;
  const joined = versions.filter((x) => x).join(", ");
  return joined || undefined;
}

/** Python's `str(float)` for the scores anchore prints: integral values keep a ".0". */
function pyFloat(n: number): string {
  return Number.isInteger(n) ? n.toFixed(1) : String(n);
}

/** The trigger id the package trigger gives a finding (`<vuln id>+<package>`), as anchore derives it. */
export function packageTriggerId(v: Vulnerability): string {
  return `${v.id}+${packageKey(v, NON_OS.has((v.package.type ?? "").toLowerCase()))}`;
}

/** The package part of a package trigger id, as anchore derives it (see the gate doc). */
function packageKey(v: Vulnerability, nonOs: boolean): string {
  const pkg = v.package;
  if (!nonOs) return pkg.name;
  let key: string | undefined;
  const path = pkg.path;
  if (path !== undefined) {
    if (pkg.type === "java" || pkg.type === "gem") {
      key = path.slice(path.lastIndexOf("/") + 1);
    } else if (pkg.type === "npm") {
      // The second-to-last "/"-separated segment, without splitting the whole path.
      const last = path.lastIndexOf("/");
      key = last < 0 ? undefined : path.slice(path.lastIndexOf("/", last - 1) + 1, last);
    }
  }
  return key || `${pkg.name}-${pkg.version}`;
}

const comparisonParam = (name: string, what: string): ParamSpec => ({
  name,
  description: `How the vulnerability's ${what} is compared with the given value.`,
  kind: "enum",
  values: COMPARISONS,
  default: ">=",
  example: ">",
});

const scoreParam = (name: string, what: string): ParamSpec => ({
  name,
  description: `${what} to compare with; a vulnerability without one counts as -1.`,
  kind: "float",
  example: "5.0",
});

/** One CVSS score criterion of a compiled package rule. */
interface ScoreCheck {
  source: "nvd" | "vendor";
  field: keyof ScoreTable;
  /** Name printed in the message, `cvss_v3_base_score=7.5`. */
  label: string;
  wanted: number;
  compare: (found: number, wanted: number) => boolean;
}

const SCORE_PARAMS: readonly { source: "nvd" | "vendor"; field: keyof ScoreTable; name: string }[] = [
  { source: "nvd", field: "base", name: "cvss_v3_base_score" },
  { source: "nvd", field: "exploitability", name: "cvss_v3_exploitability_score" },
  { source: "nvd", field: "impact", name: "cvss_v3_impact_score" },
  { source: "vendor", field: "base", name: "vendor_cvss_v3_base_score" },
  { source: "vendor", field: "exploitability", name: "vendor_cvss_v3_exploitability_score" },
  { source: "vendor", field: "impact", name: "vendor_cvss_v3_impact_score" },
];

function compileScoreChecks(params: TriggerParams): ScoreCheck[] {
  const checks: ScoreCheck[] = [];
  for (const s of SCORE_PARAMS) {
    const wanted = params.number(s.name);
    if (wanted === undefined) continue;
    const op = (params.string(`${s.name}_comparison`) ?? ">=") as Comparison;
    checks.push({ source: s.source, field: s.field, label: s.name, wanted, compare: COMPARE[op] });
  }
  return checks;
}

const packageTrigger: TriggerSpec = {
  name: "package",
  description:
    "Fires once per vulnerability found in the image that meets every given criterion: package class, severity, " +
    "CVSS v3 scores (NVD and vendor), fix availability, vendor will-not-fix status, age and package path.",
  params: [
    {
      name: "package_type",
      description:
        "Which packages to consider: all, os (distribution packages) or non-os (language packages).",
      kind: "enum",
      values: ["all", "os", "non-os"],
      required: true,
      example: "all",
    },
    {
      name: "severity_comparison",
      description: "How the vulnerability's severity is compared with `severity`.",
      kind: "enum",
      values: COMPARISONS,
      default: ">",
      example: ">",
    },
    {
      name: "severity",
      description: "Severity to compare with (unknown < negligible < low < medium < high < critical).",
      kind: "enum",
      values: SEVERITIES,
      default: "unknown",
      example: "high",
    },
    comparisonParam("cvss_v3_base_score_comparison", "highest NVD CVSS v3 base score"),
    scoreParam("cvss_v3_base_score", "NVD CVSS v3 base score"),
    comparisonParam(
      "cvss_v3_exploitability_score_comparison",
      "highest NVD CVSS v3 exploitability sub-score",
    ),
    scoreParam("cvss_v3_exploitability_score", "NVD CVSS v3 exploitability sub-score"),
    comparisonParam("cvss_v3_impact_score_comparison", "highest NVD CVSS v3 impact sub-score"),
    scoreParam("cvss_v3_impact_score", "NVD CVSS v3 impact sub-score"),
    {
      name: "fix_available",
      description:
        "When set, true keeps only vulnerabilities that have a fixed version and false only those without one.",
      kind: "boolean",
      example: "true",
    },
    {
      name: "vendor_only",
      description: "When true, skip vulnerabilities the vendor has marked as will not fix.",
      kind: "boolean",
      default: "true",
      example: "true",
    },
    {
      name: "max_days_since_creation",
      description: "Fire only for vulnerabilities first detected in the image more than this many days ago.",
      kind: "integer",
      example: "7",
    },
    {
      name: "max_days_since_fix",
      description:
        "With fix_available=true only: fire only when the fix was first seen more than this many days ago.",
      kind: "integer",
      example: "30",
    },
    comparisonParam("vendor_cvss_v3_base_score_comparison", "highest vendor CVSS v3 base score"),
    scoreParam("vendor_cvss_v3_base_score", "Vendor CVSS v3 base score"),
    comparisonParam(
      "vendor_cvss_v3_exploitability_score_comparison",
      "highest vendor CVSS v3 exploitability sub-score",
    ),
    scoreParam("vendor_cvss_v3_exploitability_score", "Vendor CVSS v3 exploitability sub-score"),
    comparisonParam("vendor_cvss_v3_impact_score_comparison", "highest vendor CVSS v3 impact sub-score"),
    scoreParam("vendor_cvss_v3_impact_score", "Vendor CVSS v3 impact sub-score"),
    {
      name: "package_path_exclude",
      description:
        "Regular expression (Python syntax, matched at the start) of non-OS package paths to skip.",
      kind: "string",
      example: ".*/test/.*\\.jar",
    },
  ],
  compile(params) {
    const pkgType = params.string("package_type");
    const classFilter = pkgType === "os" ? 0 : pkgType === "non-os" ? 1 : -1;
    const severityCompare = COMPARE[(params.string("severity_comparison") ?? ">") as Comparison];
    const severityWanted = severityRank((params.string("severity") ?? "unknown") as Severity);
    const fixAvailable = params.boolean("fix_available");
    const vendorOnly = params.boolean("vendor_only") ?? true;
    const creationDays = params.number("max_days_since_creation");
    const fixDays = fixAvailable === true ? params.number("max_days_since_fix") : undefined;
    const scoreChecks = compileScoreChecks(params);
    const nvdChecks = scoreChecks.filter((c) => c.source === "nvd");
    const vendorChecks = scoreChecks.filter((c) => c.source === "vendor");
    const excludeSource = params.string("package_path_exclude");
    const exclude =
      excludeSource !== undefined ? compileParamRegex("package_path_exclude", excludeSource) : undefined;

    return (ctx) => {
      const index = gateData(ctx.gate);
      const vulns = index.vulns;
      const n = index.count;
      if (!vulns) {
        ctx.noData(
          "there is no vulnerability data for the image (no scanner report or facts listed its findings)",
        );
        return;
      }
      if (n === 0) return;
      const classes = index.packageClasses();
      const ranks = index.severityRanks();
      const nowSec = ctx.now.getTime() / 1000;
      const detected = creationDays !== undefined ? index.detectedTimes() : undefined;
      const creationLimit = creationDays !== undefined ? nowSec - creationDays * DAY_SECONDS : 0;
      const fixSeen = fixDays !== undefined ? index.fixSeenTimes() : undefined;
      const fixLimit = fixDays !== undefined ? nowSec - fixDays * DAY_SECONDS : 0;
      const nvd = nvdChecks.length > 0 ? index.scores("nvd") : undefined;
      const vendor = vendorChecks.length > 0 ? index.scores("vendor") : undefined;

      for (let i = 0; i < n; i++) {
        const cls = classes[i] as number;
        if (classFilter !== -1 && cls !== classFilter) continue;
        if (!severityCompare(ranks[i] as number, severityWanted)) continue;
        const v = vulns[i] as Vulnerability;
        if (exclude && cls === 1 && v.package.path !== undefined && pythonMatch(exclude, v.package.path))
          continue;
        if (vendorOnly && v.fix.state === "wont-fix") continue;

        let timeMsg = "";
        if (detected) {
          const ms = detected[i] as number;
          if (Math.floor(ms / 1000) > creationLimit) continue;
          timeMsg = `max_days_since_creation=${index.dayName(ms)}`;
        }
        const fix = fixedIn(v);
        if (fixSeen && fix !== undefined) {
          // Like anchore, a fix whose first-seen time is unknown passes this filter without a date.
          const ms = fixSeen[i] as number;
          if (!Number.isNaN(ms)) {
            if (Math.floor(ms / 1000) > fixLimit) continue;
            timeMsg += `${timeMsg ? " " : ""}max_days_since_fix=${index.dayName(ms)}`;
          }
        }
        if (nvd && !passScores(nvdChecks, nvd, i)) continue;
        if (fixAvailable !== undefined && fixAvailable !== (fix !== undefined)) continue;
        if (vendor && !passScores(vendorChecks, vendor, i)) continue;
        const scoreMsg = nvd ? scoreTuples(nvdChecks, nvd, i) : "";
        const vendorMsg = vendor ? scoreTuples(vendorChecks, vendor, i) : "";

        const nonOs = cls === 1;
        const plain = !scoreMsg && !timeMsg && !vendorMsg;
        // Rules without score or time parts print the same message for a finding: build it once per image.
        let message = plain ? index.cachedMessage(i) : undefined;
        if (message === undefined) {
          const shown = nonOs ? (v.package.path ?? "None") : v.package.name;
          message = `${MESSAGE_PREFIX[cls * SEVERITY_UPPER.length + (ranks[i] as number)]}${v.package.type}) - ${shown} `;
          if (fix !== undefined) message += `(fixed in: ${fix})`;
          if (scoreMsg) message += scoreMsg;
          if (timeMsg) message += `(${timeMsg})`;
          if (vendorMsg) message += vendorMsg;
          message += `(${v.id} - ${v.url ?? "None"})`;
          if (plain) index.cacheMessage(i, message);
        }
        ctx.fire({ message, instanceId: index.triggerId(i, nonOs), vex: v.vex });
      }
    };
  },
};

function passScores(checks: readonly ScoreCheck[], table: ScoreTable, i: number): boolean {
  for (const c of checks) {
    if (!c.compare(table[c.field][i] as number, c.wanted)) return false;
  }
  return true;
}

/** The `(name=score …)` part of a message; anchore leaves out scores of exactly 0 (falsy in Python). */
function scoreTuples(checks: readonly ScoreCheck[], table: ScoreTable, i: number): string {
  let out = "";
  for (const c of checks) {
    const score = table[c.field][i] as number;
    if (score === 0) continue;
    out += `${out ? " " : ""}${c.label}=${pyFloat(score)}`;
  }
  return out ? `(${out})` : "";
}

const staleFeedDataTrigger: TriggerSpec = {
  name: "stale_feed_data",
  description:
    "Fires when the vulnerability data used for the image is older than the given number of days: the oldest " +
    "vulnerability DB update time among the scanners' provenance. An unknown time (Trivy JSON carries none) " +
    "fires only with fire_when_unknown; the decision notes it either way.",
  params: [
    {
      name: "max_days_since_sync",
      description: "Fire when the vulnerability data was last updated more than this many days ago.",
      kind: "integer",
      required: true,
      example: "10",
    },
    {
      name: "fire_when_unknown",
      description:
        "When true, also fire when no input says when its vulnerability data was updated (CIPolicE extension).",
      kind: "boolean",
      default: "false",
      example: "true",
    },
  ],
  compile(params) {
    const days = params.number("max_days_since_sync") as number;
    const fireWhenUnknown = params.boolean("fire_when_unknown") ?? false;
    const message = `The vulnerability feed for this image distro is older than MAXAGE (${days}) days`;
    return (ctx) => {
      const index = gateData(ctx.gate);
      if (index.invalidFeedSync !== undefined) {
        ctx.fire({
          message: `Cannot perform data feed up-to-date check - message from server: invalid vulnerability DB update time ${JSON.stringify(index.invalidFeedSync)}`,
        });
        return;
      }
      const oldest = index.oldestFeedSync;
      // An unknown age is not a stale one: claiming "older than MAXAGE" would be a guess
      if (oldest === undefined) {
        if (fireWhenUnknown) {
          ctx.fire({
            message: `The age of the vulnerability feed for this image is unknown (no input gives its update time; MAXAGE ${days} days)`,
          });
        }
        return;
      }
      if (Math.floor(oldest / 1000) < ctx.now.getTime() / 1000 - days * DAY_SECONDS) ctx.fire({ message });
    };
  },
};

const vulnerabilityDataUnavailableTrigger: TriggerSpec = {
  name: "vulnerability_data_unavailable",
  description:
    "Fires when there is no vulnerability data for the image at all (no scan result was gathered).",
  params: [],
  compile() {
    return (ctx) => {
      const index = gateData(ctx.gate);
      if (index.vulns !== undefined) return;
      ctx.fire({
        message: `Distro-specific feed data not found for distro namespace: ${index.distroNamespace}. Cannot perform CVE scan OS/distro packages`,
      });
    };
  },
};

const blacklistTrigger: TriggerSpec = {
  name: "blacklist",
  description:
    "Fires once when any of the listed vulnerability ids is found in the image, naming those found.",
  params: [
    {
      name: "vulnerability_ids",
      description: "Comma-separated vulnerability ids to deny, matched exactly against each finding's id.",
      kind: "string-list",
      required: true,
      example: "CVE-2019-1234",
    },
    {
      name: "vendor_only",
      description: "When true, ignore findings the vendor has marked as will not fix.",
      kind: "boolean",
      default: "true",
      example: "true",
    },
  ],
  compile(params) {
    const ids = params.list("vulnerability_ids") ?? [];
    const vendorOnly = params.boolean("vendor_only") ?? true;
    return (ctx) => {
      const vulns = gateData(ctx.gate).vulns;
      if (!vulns || vulns.length === 0) return;
      const present = new Set<string>();
      for (const v of vulns) {
        if (vendorOnly && v.fix.state === "wont-fix") continue;
        present.add(v.id);
      }
      const found = ids.filter((id) => present.has(id));
      if (found.length > 0) {
        ctx.fire({ message: `Blacklisted vulnerabilities detected: ${pyStrListRepr(found)}` });
      }
    };
  },
};

/**
 * `vulnerabilities` gate, after anchore-engine's: `package` fires per matching vulnerability with trigger id
 * `<vuln id>+<package>` (the OS package name; for non-OS packages the path's basename for java and gem, the
 * parent directory for npm, otherwise `name-version`); `stale_feed_data`, `vulnerability_data_unavailable` and
 * `blacklist` fire once with anchore's messages (default md5 trigger ids). Without vulnerability data at all,
 * only `vulnerability_data_unavailable` (and `stale_feed_data` with `fire_when_unknown`) fire.
 */
export const vulnerabilitiesGate: GateSpec = {
  name: GATE,
  // Vulnerabilities, distro and feed age come from scanner reports.
  needs: ["reports"],
  description:
    "Checks of the vulnerabilities found in the image and of the freshness of the vulnerability data.",
  triggers: [packageTrigger, staleFeedDataTrigger, vulnerabilityDataUnavailableTrigger, blacklistTrigger],
  prepare: (facts, now) => new VulnerabilityIndex(facts, now),
};
