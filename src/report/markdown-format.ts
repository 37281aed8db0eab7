import type { DecisionV1, Problem, ResultRow } from "../model/index.js";
import { severityRank } from "../model/index.js";
import { namedSeverity } from "./finding-parts.js";
import { problemSubjects } from "./problem-location.js";
import type { ReportOptions } from "./report-options.js";
import { vexSuppressed } from "./vex-suppressed.js";

/** GitHub refuses issue and pull-request comments longer than this many characters. */
export const GITHUB_COMMENT_LIMIT = 65_536;

/** What this format writes at most: the limit less room for a bot's own header or marker. */
export const MARKDOWN_BUDGET = GITHUB_COMMENT_LIMIT - 4_096;

/** Rows in the top findings table. */
export const TOP_FINDINGS = 20;

const TOP_MESSAGE_MAX = 200;

// Room kept for the top findings' heading, which names counts only known after the sections are cut.
const HEADING_RESERVE = 400;

/** Where every row is, whatever this comment had to leave out. */
const FULL_LIST = "the json and sarif outputs (`--format json`, `--format sarif`) list every row";
const CELL_MAX = 500;

type Kind = "stop" | "error" | "warn" | "go";

const KIND_ORDER: Record<Kind, number> = { stop: 0, error: 1, warn: 2, go: 3 };

interface Section {
  title: string;
  header: string;
  rows: string[];
}

/**
 * The decision as Markdown for a pull-request comment: the verdict line first (PASS or FAIL, final action, reason,
 * image), a summary table of counts, the top STOP and WARN findings (worst first, at most {@link TOP_FINDINGS}),
 * then collapsed sections with all counting findings, allowlisted hits, VEX-suppressed hits and problems. Cell
 * text is escaped for Markdown and HTML; the details are cut, with a line saying how many rows were shown and
 * left out and that the json and sarif outputs hold them all, so the comment stays within {@link MARKDOWN_BUDGET}.
 */
export function formatMarkdown(decision: DecisionV1, _options: ReportOptions): string {
  const counting = decision.results.filter((r) => !r.allowlisted && !vexSuppressed(r));
  const allowlisted = decision.results.filter((r) => r.allowlisted);
  const byVex = decision.results.filter((r) => !r.allowlisted && vexSuppressed(r));
  const sorted = sortFindings(counting);
  const of = (k: Kind) => counting.filter((r) => kind(r) === k).length;

  const head: string[] = [
    verdictLine(decision),
    "",
    contextLine(decision),
    "",
    "| STOP | WARN | GO | Errors | Allowlisted | Suppressed by VEX | Problems |",
    "|---:|---:|---:|---:|---:|---:|---:|",
    `| ${of("stop")} | ${of("warn")} | ${of("go")} | ${of("error")} | ${allowlisted.length} | ${byVex.length} | ${decision.problems.length} |`,
    "",
  ];
  const top = sorted.filter((r) => kind(r) !== "go");
  const topShown = top.slice(0, TOP_FINDINGS);
  const topAt = head.length;
  if (top.length === 0) head.push("No STOP or WARN findings.", "");
  else {
    head.push(
      `**Findings** (${top.length})`,
      "",
      "| Action | Rule | Gate / trigger | Message |",
      "|---|---|---|---|",
      ...topShown.map(
        (r) =>
          `| ${actionLabel(r)} | ${cell(r.ruleId ?? "")} | ${cell(`${r.gate} / ${r.trigger}`)} | ${cell(r.message, TOP_MESSAGE_MAX)} |`,
      ),
      "",
    );
  }

  const sections: Section[] = [
    {
      title: "All findings",
      header:
        "| Action | Policy | Rule | Gate | Trigger | Trigger ID | Message |\n|---|---|---|---|---|---|---|",
      rows: sorted.map(
        (r) =>
          `| ${actionLabel(r)} | ${cell(r.policyName ?? r.policyId)} | ${cell(r.ruleId ?? "")} | ${cell(r.gate)} | ${cell(r.trigger)} | ${code(r.triggerId)} | ${cell(r.message)} |`,
      ),
    },
    {
      title: "Allowlisted",
      header:
        "| Rule action | Gate / trigger | Trigger ID | Message | Allowlist | Item | Reason | Owner | Expires |\n|---|---|---|---|---|---|---|---|---|",
      rows: allowlisted.map((r) => {
        const a = r.allowlisted;
        return `| ${r.action.toUpperCase()} | ${cell(`${r.gate} / ${r.trigger}`)} | ${code(r.triggerId)} | ${cell(r.message)} | ${cell(a?.allowlistName ?? a?.allowlistId ?? "")} | ${code(a?.itemId ?? "")} | ${cell(a?.reason ?? "")} | ${cell(a?.owner ?? "")} | ${cell(a?.expiresOn ?? "")} |`;
      }),
    },
    {
      title: "Suppressed by VEX",
      header:
        "| Rule action | Gate / trigger | Trigger ID | Message | VEX status | Justification | Statement | Document |\n|---|---|---|---|---|---|---|---|",
      rows: byVex.map(
        (r) =>
          `| ${r.action.toUpperCase()} | ${cell(`${r.gate} / ${r.trigger}`)} | ${code(r.triggerId)} | ${cell(r.message)} | ${cell(r.vex?.status ?? "")} | ${cell(r.vex?.justification ?? "")} | ${cell(r.vex?.statement ?? "")} | ${cell(r.vex?.document ?? "")} |`,
      ),
    },
    {
      title: "Problems",
      header: "| Level | Code | Where | Message |\n|---|---|---|---|",
      rows: decision.problems.map(
        (p) => `| ${p.level} | ${code(p.code)} | ${cell(where(p))} | ${cell(p.message)} |`,
      ),
    },
  ].filter((s) => s.rows.length > 0);

  const shown = allocate(sections, MARKDOWN_BUDGET - `${head.join("\n")}\n`.length - HEADING_RESERVE);
  if (top.length > topShown.length) {
    // Say exactly what this comment holds: the top rows, how many of all findings the section below shows.
    const all = sections[0]?.title === "All findings" ? (shown[0] ?? 0) : 0;
    const below =
      all === sorted.length
        ? `the "All findings" section below lists all ${sorted.length}`
        : `the "All findings" section below lists ${all} of ${sorted.length} (${sorted.length - all} left out to stay under GitHub's comment limit); ${FULL_LIST}`;
    head[topAt] =
      `**Top findings**: ${topShown.length} of ${top.length} STOP and WARN findings shown here, ${top.length - topShown.length} left out; ${below}.`;
  }
  const intro = `${head.join("\n")}\n`;
  return `${(intro + sections.map((s, i) => renderSection(s, shown[i] ?? 0)).join("\n")).trimEnd()}\n`;
}

function verdictLine(d: DecisionV1): string {
  return `### ${d.status === "pass" ? "PASS" : "FAIL"}: final action ${d.finalAction.toUpperCase()} (${d.reason.replaceAll("_", " ")}) for ${code(d.image.ref)}`;
}

function contextLine(d: DecisionV1): string {
  const parts = [`Bundle ${cell(d.bundle.name ?? d.bundle.id, 200)} ${code(d.bundle.digest.slice(0, 19))}`];
  if (d.mapping)
    parts.push(`mapping ${cell(d.mapping.name ?? d.mapping.id ?? `#${d.mapping.index + 1}`, 200)}`);
  if (d.policies.length > 0)
    parts.push(`policies ${cell(d.policies.map((p) => p.name ?? p.id).join(", "), 200)}`);
  const rule = d.deniedImage ?? d.allowedImage;
  if (rule) {
    const label = d.deniedImage ? "denied-images rule" : "allowed-images rule";
    parts.push(`${label} ${cell(rule.name ?? rule.id ?? `${rule.registry}/${rule.repository}`, 200)}`);
  }
  if (d.image.digest) parts.push(`digest ${code(d.image.digest)}`);
  parts.push(`evaluated ${d.evaluatedAt}`, `decision ${code(d.decisionId)}`);
  return parts.join(" · ");
}

function kind(r: ResultRow): Kind {
  if (r.status === "error") return "error";
  return r.effectiveAction;
}

function actionLabel(r: ResultRow): string {
  if (r.status === "error") return r.errorCode ? `ERROR ${code(r.errorCode)}` : "ERROR";
  return r.effectiveAction.toUpperCase();
}

/** The rank of the severity a vulnerability row names; -1 for other rows. */
function hitSeverity(r: ResultRow): number {
  const severity = namedSeverity(r);
  return severity ? severityRank(severity) : -1;
}

function sortFindings(rows: ResultRow[]): ResultRow[] {
  // Sorted by action, then severity named in the message (worst first); ties keep the decision's order.
  return rows
    .map((r, i) => ({ r, i, k: KIND_ORDER[kind(r)], s: hitSeverity(r) }))
    .sort((a, b) => a.k - b.k || b.s - a.s || a.i - b.i)
    .map((x) => x.r);
}

function where(p: Problem): string {
  return [...problemSubjects(p), ...(p.path ? [`at ${p.path}`] : [])].join(", ");
}

/** How many rows of each section fit in `budget`: small sections whole, the rest share what is left equally. */
function allocate(sections: Section[], budget: number): number[] {
  // Each section's frame with its note is counted in full, so adding the note later cannot overflow.
  const fixed = sections.reduce((n, s) => n + renderSection(s, 0).length + 1, 0);
  let left = Math.max(0, budget - fixed);
  const need = sections.map((s) => s.rows.reduce((n, r) => n + r.length + 1, 0));
  const chars = new Array<number>(sections.length).fill(0);
  const order = sections.map((_, i) => i).sort((a, b) => (need[a] ?? 0) - (need[b] ?? 0) || a - b);
  order.forEach((i, done) => {
    const share = Math.floor(left / (order.length - done));
    chars[i] = Math.min(need[i] ?? 0, share);
    left -= chars[i] ?? 0;
  });
  return sections.map((s, i) => {
    let used = 0;
    let n = 0;
    for (const r of s.rows) {
      if (used + r.length + 1 > (chars[i] ?? 0)) break;
      used += r.length + 1;
      n++;
    }
    return n;
  });
}

function renderSection(s: Section, shown: number): string {
  const left = s.rows.length - shown;
  const lines = [
    `<details><summary>${s.title} (${s.rows.length})</summary>`,
    "",
    s.header,
    ...s.rows.slice(0, shown),
  ];
  if (left > 0) {
    lines.push(
      "",
      `_${left} of ${s.rows.length} rows left out to stay under GitHub's comment limit (${shown} shown); ${FULL_LIST}._`,
    );
  }
  lines.push("", "</details>", "");
  return lines.join("\n");
}

// Invisible or line-breaking characters that would garble a table: C0 controls but tab and line feeds, DEL, C1.
const CONTROL = /[^\t\n\r\u0020-\u007E\u00A0-\uD7FF\uE000-\u{10FFFF}]/gu;
// Bidirectional overrides and isolates would let a message display other than it reads ("Trojan Source").
const BIDI = /[\u202A-\u202E\u2066-\u2069]/g;

/** Text for a table cell: Markdown and HTML escaped, line breaks as `<br>`, controls and bidi overrides replaced, at most `max` characters. */
export function cell(text: string, max = CELL_MAX): string {
  const clean = text.replace(CONTROL, "\uFFFD").replace(BIDI, "\uFFFD").replace(/\t/g, " ");
  const chars = [...clean];
  const clipped = chars.length > max ? `${chars.slice(0, max - 1).join("")}…` : clean;
  return (
    clipped
      .replace(/&/g, "&amp;")
      .replace(/</g, "&lt;")
      .replace(/>/g, "&gt;")
      .replace(/[\\`*_~[\]|$]/g, "\\$&")
      // A zero-width space after @ keeps a hostile message from notifying a user or team.
      .replace(/(^|[^\p{L}\p{N}_])@(?=[\p{L}\p{N}])/gu, "$1@\u200B")
      .replace(/\r\n|\r|\n/g, "<br>")
  );
}

/** An identifier as inline code; text that cannot sit in a code span falls back to an escaped cell. */
function code(text: string): string {
  if (text === "") return "";
  if (
    /[`\r\n]/.test(text) ||
    text.replace(CONTROL, "").replace(BIDI, "") !== text ||
    [...text].length > CELL_MAX
  )
    return cell(text);
  // Inside a table even a code span ends at a bare pipe; GFM lets `\|` stand for it.
  return `\`${text.replace(/\|/g, "\\|")}\``;
}
