import type { RuleMessage } from "../rule-types.js";
import type { NotificationMessages } from "./notification-types.js";
import { compact, imageReference, invalid, isoFromSeconds, Reader, rootObject } from "./payload-reader.js";
import { emptyCounts, highestOf, type SeverityCounts, severityLevel } from "./severity-level.js";

const WHAT = "Harbor webhook";

// Harbor 2.x event types (and the 1.x camel-case names) onto CIPolicE's event names.
const EVENTS: Record<string, string> = {
  PUSH_ARTIFACT: "push",
  DELETE_ARTIFACT: "delete",
  PULL_ARTIFACT: "pull",
  SCANNING_COMPLETED: "scan_completed",
  SCANNING_FAILED: "scan_failed",
  SCANNING_STOPPED: "scan_stopped",
  pushImage: "push",
  deleteImage: "delete",
  pullImage: "pull",
  scanningCompleted: "scan_completed",
  scanningFailed: "scan_failed",
};

// Events that concern an image but call for no reaction.
const NO_ACTION: Record<string, string> = {
  pull: "a pull changes no image",
  scan_stopped: "a stopped scan has no result",
};

/**
 * A Harbor webhook (`{type, occur_at, operator, event_data: {resources[], repository}}`) as one message per
 * resource: `image` (the resource_url, pinned to its digest when it has no tag), `digest`, `tag`,
 * `repository` (repo_full_name), `registry`, `pushed_by`/`operator`, `occurred_at`, and for scans the summary
 * of the vulnerability report (`scan_status`, `counts` by severity, `total`, `fixable`, `severity`, `level`,
 * `scanner`). Pulls, stopped scans and events on no artifact (quota, replication, retention) are ignored.
 */
export function normalizeHarbor(payload: unknown): NotificationMessages {
  const root = new Reader(rootObject(payload, WHAT), WHAT);
  const type = root.string("type");
  const event = EVENTS[type];
  if (event === undefined) {
    return {
      sender: "harbor",
      event: type.toLowerCase(),
      messages: [],
      ignored: `event type ${type} names no image action`,
    };
  }
  const data = root.object("event_data");
  if (NO_ACTION[event] !== undefined) {
    return { sender: "harbor", event, messages: [], ignored: `${type}: ${NO_ACTION[event]}` };
  }
  const repo = data.optObject("repository");
  const repository = repo?.optString("repo_full_name");
  const operator = root.optString("operator");
  const occurredAt = isoFromSeconds(root.optNumber("occur_at"));
  const resources = data.objects("resources", true);
  const messages = resources.map((r): RuleMessage => {
    const url = r.string("resource_url");
    const digest = r.optString("digest");
    const tag = r.optString("tag") || undefined;
    const registry = url.includes("/") ? url.slice(0, url.indexOf("/")) : undefined;
    return compact({
      sender: "harbor",
      event,
      image: hasTagOrDigest(url) ? url : imageReference(url, tag, digest),
      registry,
      repository: repository ?? repositoryOf(url, registry),
      tag,
      digest,
      operator,
      pushed_by: event === "push" ? operator : undefined,
      occurred_at: occurredAt,
      ...(event === "scan_completed" || event === "scan_failed" ? scanSummary(r) : {}),
    });
  });
  return {
    sender: "harbor",
    event,
    messages,
    ...(resources.length === 0 ? { ignored: `${type}: event_data.resources is empty` } : {}),
  };
}

// The scan overview is keyed by the report's MIME type; Harbor fills one per scanner report kind.
function scanSummary(resource: Reader): Record<string, unknown> {
  const overview = resource.optObject("scan_overview");
  if (overview === undefined) return {};
  const key = Object.keys(overview.node.value).find((k) => k.includes("vulnerability") || k.includes("vuln"));
  if (key === undefined) return {};
  const report = overview.object(key);
  const summary = report.optObject("summary");
  const perSeverity = summary?.optObject("summary");
  const counts: SeverityCounts = emptyCounts();
  for (const [word, count] of Object.entries(perSeverity?.node.value ?? {})) {
    if (typeof count !== "number" || !Number.isInteger(count) || count < 0) {
      throw invalid(WHAT, `the count of ${word} is not a whole number`, perSeverity?.at(word) ?? "$");
    }
    const known = severityLevel(word);
    if (known === undefined) throw invalid(WHAT, `"${word}" is not a severity`, perSeverity?.at(word) ?? "$");
    counts[known.severity] += count;
  }
  // The counts decide the level; the overview's own `severity` speaks when Harbor sent no counts.
  const top =
    highestOf(counts) ??
    (summary?.optNumber("total") ? severityLevel(report.optString("severity")) : undefined);
  const scanner = report.optObject("scanner");
  return compact({
    scan_status: report.optString("scan_status"),
    counts,
    total: summary?.optNumber("total"),
    fixable: summary?.optNumber("fixable"),
    severity: top?.severity ?? "none",
    level: top?.level ?? 0,
    scanner: scanner?.optString("name"),
    scanner_version: scanner?.optString("version"),
    report_id: report.optString("report_id"),
  });
}

function hasTagOrDigest(url: string): boolean {
  const last = url.slice(url.lastIndexOf("/") + 1);
  return last.includes(":") || last.includes("@");
}

function repositoryOf(url: string, registry: string | undefined): string {
  const rest = registry === undefined ? url : url.slice(registry.length + 1);
  return rest.replace(/@.*$/, "").replace(/:[^:/]*$/, "");
}
