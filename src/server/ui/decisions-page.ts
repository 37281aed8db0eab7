import { vexSuppressed } from "../../report/vex-suppressed.js";
import type { DecisionRecord } from "../../service/store-ports.js";
import { badge, esc, escShort, href, notice, page, shortDigest, timeCell } from "./html.js";

/** Decisions the list reads from the store at most, newest first, before its filters apply. */
export const DECISION_WINDOW = 1000;
const DEFAULT_SHOWN = 100;
const OUTCOMES = ["pass", "fail", "unknown"] as const;
// Query values longer than this are not a filter anyone typed
const MAX_FILTER_CHARS = 512;

/** The list's filters, from its GET query. */
export interface DecisionFilters {
  outcome?: "pass" | "fail" | "unknown";
  namespace?: string;
  origin?: string;
  /** Part of the image reference or digest, compared without regard to case. */
  image?: string;
  /** Exact manifest digest (the store filters on it). */
  digest?: string;
  /** Rows shown at most (1-1000, default 100). */
  limit: number;
}

/** The filters of a query, and what was wrong with it (the page shows the problems and ignores those values). */
export function readDecisionFilters(query: URLSearchParams): {
  filters: DecisionFilters;
  problems: string[];
} {
  const problems: string[] = [];
  const filters: DecisionFilters = { limit: DEFAULT_SHOWN };
  const text = (name: string): string | undefined => {
    const value = query.get(name)?.trim();
    if (value === undefined || value === "") return undefined;
    if (value.length > MAX_FILTER_CHARS) {
      problems.push(`${name} is longer than ${MAX_FILTER_CHARS} characters`);
      return undefined;
    }
    return value;
  };
  const outcome = text("outcome");
  if (outcome !== undefined) {
    if ((OUTCOMES as readonly string[]).includes(outcome))
      filters.outcome = outcome as DecisionFilters["outcome"];
    else problems.push(`outcome must be one of ${OUTCOMES.join(", ")}, not ${JSON.stringify(outcome)}`);
  }
  for (const name of ["namespace", "origin", "image", "digest"] as const) {
    const value = text(name);
    if (value !== undefined) filters[name] = value;
  }
  const limit = text("limit");
  if (limit !== undefined) {
    const n = Number(limit);
    if (Number.isInteger(n) && n >= 1 && n <= DECISION_WINDOW) filters.limit = n;
    else
      problems.push(
        `limit must be a whole number from 1 to ${DECISION_WINDOW}, not ${JSON.stringify(limit)}`,
      );
  }
  return { filters, problems };
}

/** True when any filter narrows the list (then the store is read up to the window, not just `limit`). */
export function hasFilters(f: DecisionFilters): boolean {
  return (
    f.outcome !== undefined || f.namespace !== undefined || f.origin !== undefined || f.image !== undefined
  );
}

/** The records that pass every filter, in their order (newest first), at most `limit`. */
export function filterDecisions(records: readonly DecisionRecord[], f: DecisionFilters): DecisionRecord[] {
  const needle = f.image?.toLowerCase();
  const out: DecisionRecord[] = [];
  for (const r of records) {
    if (out.length >= f.limit) break;
    if (f.outcome !== undefined && r.outcome !== f.outcome) continue;
    if (f.namespace !== undefined && r.namespace !== f.namespace) continue;
    if (f.origin !== undefined && r.origin !== f.origin) continue;
    if (f.digest !== undefined && r.digest !== f.digest) continue;
    if (
      needle !== undefined &&
      !r.image.toLowerCase().includes(needle) &&
      !(r.digest ?? "").toLowerCase().includes(needle)
    )
      continue;
    out.push(r);
  }
  return out;
}

/** What the decisions page shows. */
export interface DecisionsView {
  filters: DecisionFilters;
  problems: string[];
  /** The records read from the store (the window), newest first. */
  read: readonly DecisionRecord[];
  /** True when the store held at least as many as were asked for (older ones were not searched). */
  windowFull: boolean;
  now: Date;
  session?: boolean;
}

/** The recent decisions with their filter form: outcome, namespace, origin, image text, digest. */
export function renderDecisionsPage(view: DecisionsView): string {
  const { filters: f } = view;
  const shown = filterDecisions(view.read, f);
  const origins = distinct(view.read.map((r) => r.origin));
  const namespaces = distinct(view.read.flatMap((r) => (r.namespace ? [r.namespace] : [])));
  const body: string[] = [];
  for (const p of view.problems) body.push(notice("error", `Ignored filter: ${esc(p)}.`));
  body.push(filterForm(f, origins, namespaces));
  const searched = view.windowFull
    ? `the newest ${view.read.length} decisions`
    : `all ${view.read.length} decisions stored`;
  body.push(
    `<p class="dim" data-testid="decisions-summary">${shown.length} shown${shown.length >= f.limit ? ` (the first ${f.limit})` : ""} of ${searched}.</p>`,
  );
  if (shown.length === 0) {
    body.push(
      `<p data-testid="empty">${
        view.read.length === 0
          ? "No decision is stored yet. Admission requests, <code>/v1/evaluate</code> and the monitor store one for each image they decide."
          : "No decision matches these filters."
      }</p>`,
    );
  } else {
    body.push(
      '<table data-testid="decisions">',
      "<thead><tr><th>Decided</th><th>Outcome</th><th>Image</th><th>Digest</th><th>Namespace</th><th>Origin</th><th>Final action</th><th>Hits</th><th>Reason</th></tr></thead>",
      "<tbody>",
      ...shown.map((r) => decisionRow(r, view.now)),
      "</tbody></table>",
    );
  }
  return page(
    { title: "Decisions", view: "decisions", now: view.now, session: view.session === true },
    body.join("\n"),
  );
}

function decisionRow(r: DecisionRecord, now: Date): string {
  const d = r.decision;
  const stops = d ? d.results.filter((x) => x.effectiveAction === "stop").length : 0;
  const warns = d ? d.results.filter((x) => x.effectiveAction === "warn").length : 0;
  const suppressed = d ? d.results.filter((x) => x.allowlisted !== undefined || vexSuppressed(x)).length : 0;
  const hits = d
    ? `${stops} stop · ${warns} warn${suppressed > 0 ? ` · <span class="dim">${suppressed} suppressed</span>` : ""}`
    : '<span class="dim">not evaluated</span>';
  return (
    `<tr data-testid="decision-row" data-outcome="${esc(r.outcome)}">` +
    `<td class="nowrap">${timeCell(r.decidedAt, now)}</td>` +
    `<td>${badge(r.outcome)}</td>` +
    `<td class="wrap"><a href="${href(`/ui/decisions/${encodeURIComponent(r.decisionId)}`)}" data-testid="decision-link">${escShort(r.image)}</a></td>` +
    `<td>${r.digest ? `<a href="${href("/ui", { digest: r.digest })}">${shortDigest(r.digest)}</a>` : shortDigest(undefined)}</td>` +
    `<td>${r.namespace ? `<a href="${href("/ui", { namespace: r.namespace })}">${escShort(r.namespace, 64)}</a>` : '<span class="dim">none</span>'}</td>` +
    `<td>${escShort(r.origin, 64)}</td>` +
    `<td>${d ? badge(d.finalAction) : '<span class="dim">none</span>'}</td>` +
    `<td class="nowrap">${hits}</td>` +
    `<td class="wrap">${escShort(r.reason ?? (d ? d.reason.replaceAll("_", " ") : ""), 300)}</td>` +
    "</tr>"
  );
}

function filterForm(f: DecisionFilters, origins: string[], namespaces: string[]): string {
  const option = (value: string, label: string) =>
    `<option value="${esc(value)}"${(f.outcome ?? "") === value ? " selected" : ""}>${esc(label)}</option>`;
  return [
    '<form class="filters" method="get" action="/ui" data-testid="filters">',
    `<label>Outcome<select name="outcome">${option("", "any")}${option("pass", "pass")}${option("fail", "fail (denied)")}${option("unknown", "unknown")}</select></label>`,
    `<label>Namespace<input type="text" name="namespace" value="${esc(f.namespace ?? "")}" list="ns-list" maxlength="${MAX_FILTER_CHARS}"></label>`,
    `<label>Origin<input type="text" name="origin" value="${esc(f.origin ?? "")}" list="origin-list" maxlength="${MAX_FILTER_CHARS}"></label>`,
    `<label>Image contains<input type="search" name="image" value="${esc(f.image ?? "")}" maxlength="${MAX_FILTER_CHARS}"></label>`,
    f.digest ? `<label>Digest<input type="text" name="digest" value="${esc(f.digest)}"></label>` : "",
    `<label>Show<input type="number" name="limit" min="1" max="${DECISION_WINDOW}" value="${f.limit}"></label>`,
    '<button type="submit">Filter</button> <a href="/ui">Clear</a>',
    `<datalist id="ns-list">${namespaces.map((n) => `<option value="${esc(n)}">`).join("")}</datalist>`,
    `<datalist id="origin-list">${origins.map((o) => `<option value="${esc(o)}">`).join("")}</datalist>`,
    "</form>",
  ].join("");
}

// Datalists are suggestions: a bounded number of them, each bounded in length
function distinct(values: string[]): string[] {
  return [...new Set(values.filter((v) => v.length <= 128))].sort().slice(0, 100);
}
