import type { Action, Problem, ResultRow } from "../../model/index.js";
import { vexSuppressed } from "../../report/vex-suppressed.js";
import type { DecisionRecord } from "../../service/store-ports.js";
import { badge, esc, href, notice, page, timeCell } from "./html.js";

/** Result rows one page lists at most; a decision with more says how many were left out. */
export const MAX_ROWS = 10_000;
const ACTION_RANK: Record<Action, number> = { stop: 0, warn: 1, go: 2 };

/** What one decision's page shows. */
export interface DecisionView {
  /** The record, or undefined when no stored decision has the id. */
  record: DecisionRecord | undefined;
  /** The id asked for. */
  decisionId: string;
  /** How many newest decisions were searched for it. */
  searched: number;
  now: Date;
  session?: boolean;
}

/**
 * One decision: image, bundle, mapping, outcome, then every result row (gate, trigger, trigger id, message,
 * rule action, effective action, and what suppressed it: an allowlist item or a VEX statement), then the
 * problems. Rows are ordered stop, warn, go, in decision order within each.
 */
export function renderDecisionPage(view: DecisionView): string {
  const frame = {
    title: "Decision",
    view: "decisions" as const,
    now: view.now,
    session: view.session === true,
  };
  const r = view.record;
  if (r === undefined) {
    return page(
      { ...frame, title: "Decision not found" },
      `${notice("error", `No decision <code>${esc(view.decisionId)}</code> among the newest ${view.searched} stored.`)}<p><a href="/ui">All decisions</a></p>`,
    );
  }
  const d = r.decision;
  const facts: [string, string][] = [
    ["Image", `<code data-testid="image">${esc(r.image)}</code>`],
    ["Digest", r.digest ? `<code>${esc(r.digest)}</code>` : '<span class="dim">unknown</span>'],
    ["Decided", `${timeCell(r.decidedAt, view.now)} <span class="dim">${esc(r.decidedAt)}</span>`],
    ["Origin", esc(r.origin)],
    ["Namespace", r.namespace ? esc(r.namespace) : '<span class="dim">none</span>'],
  ];
  if (r.reason) facts.push(["Why", esc(r.reason)]);
  if (d) {
    facts.push(
      [
        "Final action",
        `${badge(d.finalAction)} <span class="dim">(${esc(d.reason.replaceAll("_", " "))})</span>`,
      ],
      ["Bundle", `${esc(d.bundle.name ?? d.bundle.id)} <code>${esc(d.bundle.digest)}</code>`],
      [
        "Mapping",
        d.mapping
          ? `${esc(d.mapping.name ?? d.mapping.id ?? "")} <span class="dim">#${d.mapping.index + 1}</span>`
          : '<span class="dim">no mapping matched</span>',
      ],
    );
    if (d.policies.length > 0)
      facts.push(["Policies", esc(d.policies.map((p) => p.name ?? p.id).join(", "))]);
  }
  const related = [`<a href="${href("/ui", { image: r.image })}">decisions of this image</a>`];
  if (r.digest) {
    related.push(
      `<a href="${href("/ui", { digest: r.digest })}">decisions of this digest</a>`,
      `<a href="${href("/ui/containers", { q: r.digest })}">containers running it</a>`,
      `<a href="${href("/ui/grace", { subject: r.digest })}">its grace clocks</a>`,
    );
  }
  facts.push(["See also", related.join(" · ")]);
  const body = [
    `<section class="verdict ${esc(r.outcome)}"><p>${badge(r.outcome)} <code>${esc(r.decisionId)}</code></p>`,
    `<dl>${facts.map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`).join("")}</dl></section>`,
  ];
  if (!d) {
    body.push('<p class="dim" data-testid="empty">The engine was not asked: there are no result rows.</p>');
  } else {
    const policyNames = new Map(d.policies.map((p) => [p.id, p.name ?? p.id]));
    body.push(rowsTable(d.results, policyNames), problemsTable(d.problems));
  }
  return page({ ...frame, title: `Decision: ${r.outcome}` }, body.join("\n"));
}

function rowsTable(results: readonly ResultRow[], policyNames: Map<string, string>): string {
  const head = `<h2>Result rows <span class="tag" data-testid="rows-count">${results.length}</span></h2>`;
  if (results.length === 0) return `${head}<p class="dim" data-testid="empty">No trigger fired.</p>`;
  const ordered = results
    .slice(0, MAX_ROWS)
    .map((row, i) => ({ row, i }))
    .sort((a, b) => ACTION_RANK[a.row.effectiveAction] - ACTION_RANK[b.row.effectiveAction] || a.i - b.i);
  const out = [
    head,
    '<table data-testid="rows">',
    "<thead><tr><th>Gate</th><th>Trigger</th><th>Trigger ID</th><th>Message</th><th>Rule action</th><th>Effective</th><th>Suppressed by</th><th>Policy / rule</th></tr></thead>",
    "<tbody>",
  ];
  for (const { row } of ordered) {
    const error = row.status === "error" ? ` <span class="tag">error ${esc(row.errorCode ?? "")}</span>` : "";
    out.push(
      `<tr data-testid="result-row" data-effective="${esc(row.effectiveAction)}">` +
        `<td>${esc(row.gate)}</td><td>${esc(row.trigger)}</td><td class="wrap"><code>${esc(row.triggerId)}</code></td>` +
        `<td class="wrap">${esc(row.message)}${error}</td><td>${badge(row.action)}</td><td>${badge(row.effectiveAction)}</td>` +
        `<td class="wrap" data-testid="suppressed-by">${suppressedBy(row)}</td>` +
        `<td class="wrap">${esc(row.policyName ?? policyNames.get(row.policyId) ?? row.policyId)}${row.ruleId ? ` <span class="dim">/ ${esc(row.ruleId)}</span>` : ""}</td></tr>`,
    );
  }
  out.push("</tbody></table>");
  if (results.length > MAX_ROWS) {
    out.push(notice("info", `${results.length - MAX_ROWS} more rows are not shown.`));
  }
  return out.join("\n");
}

function suppressedBy(row: ResultRow): string {
  const a = row.allowlisted;
  if (a) {
    const details = [
      a.reason ? esc(a.reason) : "",
      a.owner ? `owner ${esc(a.owner)}` : "",
      a.ticket ? `ticket ${esc(a.ticket)}` : "",
      a.expiresOn ? `expires ${esc(a.expiresOn)}` : "",
    ].filter((x) => x !== "");
    return (
      `allowlist <b>${esc(a.allowlistName ?? a.allowlistId)}</b> item <b>${esc(a.itemId)}</b> <code>${esc(a.pattern)}</code>` +
      (details.length > 0 ? `<br><span class="dim">${details.join(" · ")}</span>` : "")
    );
  }
  if (row.vex) {
    const what = `VEX <b>${esc(row.vex.status)}</b>${row.vex.justification ? ` (${esc(row.vex.justification)})` : ""}${row.vex.document ? `<br><span class="dim">${esc(row.vex.document)}</span>` : ""}`;
    // An affected or under-investigation statement suppresses nothing, but is worth seeing beside the hit
    return vexSuppressed(row) ? what : `<span class="dim">not suppressed;</span> ${what}`;
  }
  return "";
}

function problemsTable(problems: readonly Problem[]): string {
  const head = `<h2>Problems <span class="tag">${problems.length}</span></h2>`;
  if (problems.length === 0) return `${head}<p class="dim">None.</p>`;
  const rows = problems
    .slice(0, MAX_ROWS)
    .map(
      (p) =>
        `<tr data-testid="problem-row"><td>${esc(p.level)}</td><td><code>${esc(p.code)}</code></td><td class="wrap">${esc(p.message)}</td></tr>`,
    );
  return `${head}<table><thead><tr><th>Level</th><th>Code</th><th>Message</th></tr></thead><tbody>${rows.join("")}</tbody></table>`;
}
