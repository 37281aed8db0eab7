import { createHash } from "node:crypto";
import {
  type Action,
  type DecisionV1,
  type Problem,
  type ResultRow,
  SEVERITIES,
  type Severity,
} from "../model/index.js";
import { namedSeverity } from "./finding-parts.js";
import { problemSubjects } from "./problem-location.js";
import type { ReportOptions } from "./report-options.js";
import { vexSuppressed } from "./vex-suppressed.js";

/** A finding's severity for the report: a vulnerability severity, or "policy" for every other hit. */
export type HtmlSeverity = Severity | "policy";

/** Severities as the chart and the sort show them, most severe first. */
const SEVERITY_ORDER: readonly HtmlSeverity[] = [...[...SEVERITIES].reverse(), "policy"];
const ACTION_ORDER: readonly Action[] = ["stop", "warn", "go"];
const ACTION_COLOR: Record<Action, string> = { stop: "#c62828", warn: "#e09100", go: "#2e7d32" };

/**
 * The decision as one self-contained HTML page for people and auditors: verdict header, a chart of counting
 * findings by severity and action, a sortable findings table, allowlisted and VEX-suppressed hits apart,
 * problems, and a footer with the decision id. No external assets; readable without JavaScript.
 */
export function formatHtml(decision: DecisionV1, _options?: ReportOptions): string {
  const counting: ResultRow[] = [];
  const allowlisted: ResultRow[] = [];
  const byVex: ResultRow[] = [];
  for (const r of decision.results) {
    if (r.allowlisted) allowlisted.push(r);
    else if (vexSuppressed(r)) byVex.push(r);
    else counting.push(r);
  }
  // Most urgent first (action, then severity); decision order breaks ties so the page is deterministic.
  const findings = counting
    .map((row, index) => ({ row, index, severity: htmlSeverity(row) }))
    .sort(
      (a, b) =>
        actionRank(a.row.effectiveAction) - actionRank(b.row.effectiveAction) ||
        severityRank(a.severity) - severityRank(b.severity) ||
        a.index - b.index,
    );
  const verdict = decision.status === "pass" ? "PASS" : "FAIL";
  const out: string[] = [
    "<!DOCTYPE html>",
    '<html lang="en">',
    "<head>",
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<meta http-equiv="Content-Security-Policy" content="${CSP}">`,
    '<meta name="referrer" content="no-referrer">',
    `<title>${esc(`CIPolicE ${verdict}: ${decision.image.ref}`)}</title>`,
    `<style>${STYLE}</style>`,
    "</head>",
    "<body>",
    header(decision, verdict, counting, allowlisted.length, byVex.length),
    "<main>",
    chart(findings),
    findingsTable(findings),
    allowlistedTable(allowlisted),
    vexTable(byVex),
    problemsTable(decision.problems),
    "</main>",
    `<footer>Decision <code>${esc(decision.decisionId)}</code> · schema version ${esc(decision.schemaVersion)} · CIPolicE</footer>`,
    `<script>${SCRIPT}</script>`,
    "</body>",
    "</html>",
  ];
  return `${out.join("\n")}\n`;
}

/** The severity a row shows: a vulnerability row's leading severity word, else "policy". */
export function htmlSeverity(row: ResultRow): HtmlSeverity {
  return namedSeverity(row) ?? "policy";
}

function header(
  d: DecisionV1,
  verdict: string,
  counting: ResultRow[],
  allowlisted: number,
  byVex: number,
): string {
  const count = (a: Action) => counting.filter((r) => r.effectiveAction === a).length;
  const errors = counting.filter((r) => r.status === "error").length;
  const parts = [`${count("stop")} stop`, `${count("warn")} warn`, `${count("go")} go`];
  parts.push(`${allowlisted} allowlisted`, `${byVex} suppressed by VEX`);
  if (errors > 0) parts.push(`${errors} error${errors > 1 ? "s" : ""}`);
  const mapping = d.mapping
    ? `${esc(d.mapping.name ?? d.mapping.id ?? "")} <span class="dim">#${d.mapping.index + 1}${d.mapping.id && d.mapping.name ? ` ${esc(d.mapping.id)}` : ""}</span>`
    : '<span class="dim">no mapping matched</span>';
  const rows: [string, string][] = [
    ["Image", `<code>${esc(d.image.ref)}</code>`],
    ["Digest", d.image.digest ? `<code>${esc(d.image.digest)}</code>` : '<span class="dim">unknown</span>'],
  ];
  if (d.image.imageId) rows.push(["Image ID", `<code>${esc(d.image.imageId)}</code>`]);
  rows.push(
    [
      "Bundle",
      `${esc(d.bundle.name ?? d.bundle.id)}${d.bundle.name ? ` <span class="dim">${esc(d.bundle.id)}</span>` : ""} <code>${esc(d.bundle.digest)}</code>`,
    ],
    ["Mapping", mapping],
  );
  if (d.policies.length > 0)
    rows.push(["Policies", d.policies.map((p) => esc(p.name ? `${p.name} (${p.id})` : p.id)).join(", ")]);
  if (d.deniedImage) rows.push(["Denied by", esc(imageRule(d.deniedImage))]);
  if (d.allowedImage) rows.push(["Allowed by", esc(imageRule(d.allowedImage))]);
  rows.push(["Evaluated", `<time datetime="${esc(d.evaluatedAt)}">${esc(d.evaluatedAt)}</time>`]);
  return [
    `<header class="verdict ${d.finalAction}">`,
    `<h1><span class="badge">${verdict}</span> final action ${d.finalAction.toUpperCase()} <span class="reason">(${esc(d.reason.replaceAll("_", " "))})</span></h1>`,
    `<p class="counts">${parts.join(" · ")}</p>`,
    `<dl>${rows.map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`).join("")}</dl>`,
    "</header>",
  ].join("\n");
}

function imageRule(m: NonNullable<DecisionV1["deniedImage"]>): string {
  const name = m.name ?? m.id ?? "rule";
  return `${name}: ${m.registry}/${m.repository} ${m.image.type}=${m.image.value}`;
}

interface Finding {
  row: ResultRow;
  index: number;
  severity: HtmlSeverity;
}

/** Horizontal stacked bars, one per severity present, segments by action; built here so the page needs nothing else. */
function chart(findings: Finding[]): string {
  const head = '<section id="chart"><h2>Findings by severity and action</h2>';
  if (findings.length === 0) return `${head}<p class="dim">No counting findings.</p></section>`;
  const counts = new Map<HtmlSeverity, Record<Action, number>>();
  for (const f of findings) {
    const c = counts.get(f.severity) ?? { stop: 0, warn: 0, go: 0 };
    c[f.row.effectiveAction]++;
    counts.set(f.severity, c);
  }
  const bars = SEVERITY_ORDER.filter((s) => counts.has(s));
  const max = Math.max(...bars.map((s) => total(counts.get(s))));
  const labelW = 90;
  const barW = 380;
  const rowH = 24;
  const legendH = 26;
  const width = labelW + barW + 60;
  const height = bars.length * rowH + legendH;
  const parts: string[] = [];
  bars.forEach((s, i) => {
    const c = counts.get(s) ?? { stop: 0, warn: 0, go: 0 };
    const y = i * rowH;
    parts.push(`<text x="${labelW - 8}" y="${y + 16}" text-anchor="end">${s}</text>`);
    let x = labelW;
    for (const a of ACTION_ORDER) {
      if (c[a] === 0) continue;
      // Bars never shrink below a pixel so a single finding among thousands stays visible.
      const w = Math.max(1, Math.round((c[a] / max) * barW * 10) / 10);
      parts.push(
        `<rect x="${round(x)}" y="${y + 4}" width="${w}" height="${rowH - 8}" fill="${ACTION_COLOR[a]}"><title>${s} · ${a}: ${c[a]}</title></rect>`,
      );
      x += w;
    }
    parts.push(`<text x="${round(x + 6)}" y="${y + 16}">${total(c)}</text>`);
  });
  let lx = labelW;
  const ly = bars.length * rowH + 8;
  for (const a of ACTION_ORDER) {
    parts.push(
      `<rect x="${lx}" y="${ly}" width="12" height="12" fill="${ACTION_COLOR[a]}"/><text x="${lx + 16}" y="${ly + 11}">${a}</text>`,
    );
    lx += 70;
  }
  const label = bars
    .map((s) => {
      const c = counts.get(s) ?? { stop: 0, warn: 0, go: 0 };
      return `${s}: ${ACTION_ORDER.map((a) => `${c[a]} ${a}`).join(", ")}`;
    })
    .join("; ");
  return `${head}<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="${esc(label)}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${parts.join("")}</svg></section>`;
}

function findingsTable(findings: Finding[]): string {
  const out = [
    `<section id="findings"><h2>Findings <span class="count" data-testid="findings-count">${findings.length}</span></h2>`,
  ];
  if (findings.length === 0) {
    out.push('<p class="dim">No trigger hit counts against this image.</p></section>');
    return out.join("\n");
  }
  out.push(
    '<table id="findings-table" class="sortable">',
    '<thead><tr><th scope="col">Gate</th><th scope="col">Trigger</th><th scope="col" data-key="act">Action</th><th scope="col" data-key="sev">Severity</th><th scope="col">Message</th><th scope="col">Trigger ID</th></tr></thead>',
    "<tbody>",
  );
  findings.forEach((f, i) => {
    const r = f.row;
    const error =
      r.status === "error"
        ? ` <span class="tag">error${r.errorCode ? ` ${esc(r.errorCode)}` : ""}</span>`
        : "";
    // An unsuppressing VEX statement (affected, under investigation) is worth seeing next to the hit.
    const vex = r.vex ? ` <span class="tag">VEX ${esc(r.vex.status)}</span>` : "";
    out.push(
      `<tr data-testid="finding-row" data-i="${i}" data-act="${actionRank(r.effectiveAction)}" data-sev="${severityRank(f.severity)}">` +
        `<td>${esc(r.gate)}</td><td>${esc(r.trigger)}</td><td><span class="act ${r.effectiveAction}">${r.effectiveAction}</span>${error}</td>` +
        `<td class="sev-${f.severity}">${f.severity}</td><td class="msg">${esc(r.message)}${vex}</td><td class="id"><code>${esc(r.triggerId)}</code></td></tr>`,
    );
  });
  out.push("</tbody></table></section>");
  return out.join("\n");
}

function allowlistedTable(rows: ResultRow[]): string {
  const out = [`<section id="allowlisted"><h2>Allowlisted <span class="count">${rows.length}</span></h2>`];
  if (rows.length === 0) {
    out.push('<p class="dim">No hit was allowlisted.</p></section>');
    return out.join("\n");
  }
  out.push(
    "<table>",
    '<thead><tr><th scope="col">Gate</th><th scope="col">Trigger</th><th scope="col">Rule action</th><th scope="col">Message</th><th scope="col">Trigger ID</th><th scope="col">List</th><th scope="col">Item</th><th scope="col">Reason</th><th scope="col">Owner</th><th scope="col">Expires</th></tr></thead>',
    "<tbody>",
  );
  for (const r of rows) {
    const m = r.allowlisted;
    if (!m) continue;
    const reason = `${esc(m.reason ?? "")}${m.ticket ? ` <span class="dim">(${esc(m.ticket)})</span>` : ""}`;
    out.push(
      `<tr data-testid="allowlisted-row"><td>${esc(r.gate)}</td><td>${esc(r.trigger)}</td><td><span class="act ${r.action}">${r.action}</span></td>` +
        `<td class="msg wide">${esc(r.message)}</td><td class="id"><code>${esc(r.triggerId)}</code></td><td>${esc(m.allowlistName ?? m.allowlistId)}</td>` +
        `<td class="wrap">${esc(m.itemId)} <code>${esc(m.pattern)}</code></td><td class="wrap">${reason}</td><td>${esc(m.owner ?? "")}</td><td>${esc(m.expiresOn ?? "")}</td></tr>`,
    );
  }
  out.push("</tbody></table></section>");
  return out.join("\n");
}

function vexTable(rows: ResultRow[]): string {
  const out = [`<section id="vex"><h2>Suppressed by VEX <span class="count">${rows.length}</span></h2>`];
  if (rows.length === 0) {
    out.push('<p class="dim">No hit was suppressed by a VEX statement.</p></section>');
    return out.join("\n");
  }
  out.push(
    "<table>",
    '<thead><tr><th scope="col">Gate</th><th scope="col">Trigger</th><th scope="col">Rule action</th><th scope="col">Message</th><th scope="col">Trigger ID</th><th scope="col">VEX status</th><th scope="col">Justification</th><th scope="col">Document</th></tr></thead>',
    "<tbody>",
  );
  for (const r of rows) {
    const v = r.vex;
    if (!v) continue;
    const why = `${esc(v.justification ?? "")}${v.statement ? ` <span class="dim">${esc(v.statement)}</span>` : ""}`;
    out.push(
      `<tr data-testid="vex-row"><td>${esc(r.gate)}</td><td>${esc(r.trigger)}</td><td><span class="act ${r.action}">${r.action}</span></td>` +
        `<td class="msg wide">${esc(r.message)}</td><td class="id"><code>${esc(r.triggerId)}</code></td><td>${esc(v.status)}</td><td class="wrap">${why}</td><td class="wrap">${esc(v.document ?? "")}</td></tr>`,
    );
  }
  out.push("</tbody></table></section>");
  return out.join("\n");
}

function problemsTable(problems: Problem[]): string {
  const out = [`<section id="problems"><h2>Problems <span class="count">${problems.length}</span></h2>`];
  if (problems.length === 0) {
    out.push('<p class="dim">None.</p></section>');
    return out.join("\n");
  }
  out.push(
    "<table>",
    '<thead><tr><th scope="col">Level</th><th scope="col">Code</th><th scope="col">Message</th><th scope="col">Where</th></tr></thead>',
    "<tbody>",
  );
  for (const p of problems) {
    const where = [...problemSubjects(p), ...(p.path ? [p.path] : [])];
    out.push(
      `<tr class="${p.level}"><td>${esc(p.level)}</td><td class="id"><code>${esc(p.code)}</code></td><td class="msg">${esc(p.message)}</td><td>${esc(where.join(", "))}</td></tr>`,
    );
  }
  out.push("</tbody></table></section>");
  return out.join("\n");
}

function total(c: Record<Action, number> | undefined): number {
  return c ? c.stop + c.warn + c.go : 0;
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

function actionRank(a: Action): number {
  return ACTION_ORDER.indexOf(a);
}

function severityRank(s: HtmlSeverity): number {
  return SEVERITY_ORDER.indexOf(s);
}

const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};
// Control characters (other than tab and newlines) are HTML parse errors: show them as visible \u escapes.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const UNSAFE = /[&<>"'\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/g;

/** Text escaped for HTML text and attribute values, with control characters made visible. */
export function escapeHtml(text: string): string {
  return text.replace(
    UNSAFE,
    (ch) => ESCAPES[ch] ?? `\\u${ch.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")}`,
  );
}

const esc = escapeHtml;

const STYLE = [
  ":root{color-scheme:light;--fg:#1d232a;--dim:#5f6b76;--line:#d9dee3;--head:#f3f5f7}",
  "*{box-sizing:border-box}",
  "body{margin:0;font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:var(--fg);background:#fff}",
  "header,main,footer{padding:0 24px}",
  "header{padding-top:16px;padding-bottom:12px;border-top:6px solid var(--c);background:var(--bg)}",
  "header.stop{--c:#c62828;--bg:#fdecea}header.warn{--c:#e09100;--bg:#fff6e0}header.go{--c:#2e7d32;--bg:#e9f5ea}",
  "h1{margin:0 0 4px;font-size:22px}h2{margin:24px 0 8px;font-size:17px}",
  ".badge{display:inline-block;padding:2px 10px;border-radius:4px;color:#fff;background:var(--c);letter-spacing:.05em}",
  ".reason,.dim{color:var(--dim);font-weight:normal}",
  ".counts{margin:4px 0 8px}",
  "dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;margin:0}dt{font-weight:600}dd{margin:0;overflow-wrap:anywhere}",
  "code{font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;overflow-wrap:anywhere}",
  ".count{display:inline-block;min-width:1.6em;padding:0 6px;border-radius:10px;background:var(--head);text-align:center;font-size:13px}",
  "svg{display:block;max-width:100%;height:auto;font-size:12px;fill:var(--fg)}",
  "table{border-collapse:collapse;width:100%;table-layout:auto}",
  "th,td{border:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}",
  "th{background:var(--head);position:sticky;top:0;white-space:nowrap}",
  "th button{all:unset;cursor:pointer;font-weight:600}th button:focus-visible{outline:2px solid #1565c0}",
  "th[aria-sort=ascending] button::after{content:' \\25B2'}th[aria-sort=descending] button::after{content:' \\25BC'}",
  "tbody tr:nth-child(even){background:#fafbfc}",
  "td.msg{overflow-wrap:anywhere;min-width:10em}td.wrap{overflow-wrap:anywhere;min-width:7em}td.wide{min-width:18em}td.id,td.id code{white-space:nowrap;overflow-wrap:normal}",
  ".act{display:inline-block;padding:0 6px;border-radius:3px;color:#fff;font-weight:600;font-size:12px}",
  ".act.stop{background:#c62828}.act.warn{background:#b26f00}.act.go{background:#2e7d32}",
  ".sev-critical{color:#b71c1c;font-weight:600}.sev-high{color:#c62828}.sev-medium{color:#a05a00}.sev-policy{color:var(--dim)}",
  ".tag{display:inline-block;padding:0 4px;border:1px solid var(--line);border-radius:3px;font-size:11px;color:var(--dim)}",
  "tr.error td:first-child{color:#c62828;font-weight:600}tr.warning td:first-child{color:#a05a00}",
  // The findings table is a grid with fixed tracks so off-screen rows skip layout: 10,000 rows stay quick.
  "#findings-table,#findings-table tbody{display:block;border-collapse:separate}",
  "#findings-table{border:1px solid var(--line);border-bottom:0}",
  "#findings-table thead{display:block;position:sticky;top:0;z-index:1}",
  "#findings-table tr{display:grid;grid-template-columns:minmax(6em,9em) minmax(6em,10em) 5.5em 6.5em minmax(12em,1fr) minmax(10em,18em)}",
  "#findings-table tbody tr{content-visibility:auto;contain-intrinsic-size:auto 2.5em}",
  "#findings-table th,#findings-table td{display:block;min-width:0;border:0;border-right:1px solid var(--line);border-bottom:1px solid var(--line);overflow-wrap:anywhere}",
  "#findings-table th{position:static}#findings-table th:last-child,#findings-table td:last-child{border-right:0}",
  "#findings-table td.id,#findings-table td.id code{white-space:normal;overflow-wrap:anywhere}",
  "footer{margin:24px 0;padding-top:8px;border-top:1px solid var(--line);color:var(--dim)}",
].join("\n");

// Progressive enhancement: headers become sort buttons; equal keys keep the rendered order; rows move while detached.
const SCRIPT = `(function(){
var t=document.getElementById("findings-table");if(!t)return;
var b=t.tBodies[0],hs=t.tHead.rows[0].cells,c=new Intl.Collator(undefined,{numeric:true,sensitivity:"base"});
Array.prototype.forEach.call(hs,function(th){
var k=th.getAttribute("data-key"),n=th.cellIndex,btn=document.createElement("button");
btn.type="button";btn.textContent=th.textContent;th.textContent="";th.appendChild(btn);
btn.addEventListener("click",function(){
var d=th.getAttribute("aria-sort")==="ascending"?-1:1;
var rs=Array.prototype.map.call(b.rows,function(r){return[k?+r.getAttribute("data-"+k):r.cells[n].textContent,+r.getAttribute("data-i"),r];});
rs.sort(function(x,y){return(k?x[0]-y[0]:c.compare(x[0],y[0]))*d||x[1]-y[1];});
Array.prototype.forEach.call(hs,function(h){h.removeAttribute("aria-sort");});
th.setAttribute("aria-sort",d===1?"ascending":"descending");
var p=b.parentNode;p.removeChild(b);rs.forEach(function(r){b.appendChild(r[2]);});p.appendChild(b);
});});})();`;

const sha256 = (text: string) => `'sha256-${createHash("sha256").update(text).digest("base64")}'`;
// Only our own style and script may run: nothing is fetched and an injected script would be inert even if unescaped.
const CSP = `default-src 'none'; style-src ${sha256(STYLE)}; script-src ${sha256(SCRIPT)}; img-src data:; base-uri 'none'; form-action 'none'`;
