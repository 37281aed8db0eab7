import Table from "cli-table3";
import pc from "picocolors";
import {
  type Action,
  type DecisionV1,
  type FixState,
  type ImageFacts,
  isDigestOnly,
  type ResultRow,
  type Severity,
} from "../model/index.js";
import { terminalLine as safe } from "../model/terminal-safe.js";
import { findingDetail, vulnerabilityHit } from "./finding-parts.js";
import type { ReportOptions } from "./report-options.js";
import { vexSuppressed } from "./vex-suppressed.js";

/** The width the table keeps to when no terminal width is given: CI logs, pipes and files. */
export const DEFAULT_TABLE_WIDTH = 80;

// Below this a table cannot hold its columns; narrower terminals wrap what is left.
const MIN_WIDTH = 60;

type Colors = ReturnType<typeof pc.createColors>;

const FIX_STATE: Partial<Record<FixState, string>> = {
  "not-fixed": "not fixed",
  "wont-fix": "won't fix",
  "end-of-life": "end of life",
};

/**
 * The decision for people: per gate, a table of its hits (vulnerability hits as Vulnerability, Severity,
 * Package, Installed, Fixed, Action; other hits as Trigger, Action, Message), with allowlisting or VEX
 * suppression under the hit, then problems, then a summary line that starts with PASS or FAIL. Lines keep
 * within `options.width` (80 when absent) and wrap between words, so an id is never cut. Colour only when
 * `options.color`. Every text from input is escaped for the terminal first, so it can neither colour nor
 * forge a line. With `options.summaryOnly`, only the summary line.
 */
export function formatTable(decision: DecisionV1, options: ReportOptions): string {
  const c = pc.createColors(options.color);
  if (options.summaryOnly) return `${summaryLine(decision, c)}\n`;
  const width = Math.max(MIN_WIDTH, options.width ?? DEFAULT_TABLE_WIDTH);
  const lines: string[] = [];
  const ref = decision.image.ref;
  // `@sha256:…` alone could read as a cut-off name: say that no input named the image's repository.
  const digestOnly = isDigestOnly(decision.image) ? " (digest only: no input names its repository)" : "";
  lines.push(...labelled(c, "Image:", `${safe(ref)}${digestOnly}`, width));
  // The canonical reference often carries the digest already: printed once.
  if (decision.image.digest && !ref.endsWith(`@${decision.image.digest}`)) {
    lines.push(...labelled(c, "Digest:", safe(decision.image.digest), width));
  }
  const bundle = `${safe(decision.bundle.name ?? decision.bundle.id)} ${safe(decision.bundle.digest.slice(0, 19))}`;
  lines.push(...labelled(c, "Bundle:", bundle, width));
  if (decision.mapping) {
    const m = decision.mapping;
    lines.push(...labelled(c, "Mapping:", safe(m.name ?? m.id ?? `#${m.index + 1}`), width));
  }
  lines.push("");
  const byGate = new Map<string, ResultRow[]>();
  for (const r of decision.results) byGate.set(r.gate, [...(byGate.get(r.gate) ?? []), r]);
  for (const [gate, rows] of byGate) {
    lines.push(...wrap(`${safe(gate)} (${rows.length})`, width).map((l) => c.bold(l)));
    const vulns = rows.filter((r) => vulnerabilityHit(r) !== undefined);
    const others = rows.filter((r) => vulnerabilityHit(r) === undefined);
    if (vulns.length > 0) lines.push(vulnerabilityTable(vulns, width, c, options.facts));
    if (others.length > 0) lines.push(triggerTable(others, width, c));
    lines.push("");
  }
  if (decision.results.length === 0) lines.push(c.dim("No trigger fired."), "");
  for (const p of decision.problems) {
    const label = p.level === "error" ? "error" : p.level === "warning" ? "warning" : "note";
    const paint = p.level === "error" ? c.red : p.level === "warning" ? c.yellow : c.dim;
    const text = wrap(`${label}: ${safe(p.message)}`, width, "  ");
    lines.push(paint(label) + (text[0] ?? "").slice(label.length), ...text.slice(1));
  }
  if (decision.problems.length > 0) lines.push("");
  lines.push(summaryLine(decision, c));
  return `${lines.join("\n")}\n`;
}

function vulnerabilityTable(rows: ResultRow[], width: number, c: Colors, facts?: ImageFacts): string {
  const head = ["Vulnerability", "Severity", "Package", "Installed", "Fixed", "Action"];
  const cells = rows.map((r) => {
    const d = findingDetail(
      r,
      vulnerabilityHit(r) as NonNullable<ReturnType<typeof vulnerabilityHit>>,
      facts,
    );
    const fixed = d.fixedIn ?? (d.fixState ? (FIX_STATE[d.fixState] ?? "") : "");
    return [d.id, d.severity, d.packageName, d.installed ?? "", fixed, actionWord(r)].map(safe);
  });
  // Ids, severities and actions are never wrapped; package and versions share what is left.
  const widths = layout(
    head.map((h, i) => {
      const natural = Math.max(h.length, ...cells.map((row) => (row[i] as string).length));
      return { natural, min: [0, 1, 5].includes(i) ? natural : Math.min(natural, h.length) };
    }),
    width,
  );
  const table = newTable(head, widths, c);
  rows.forEach((r, i) => {
    const row = cells[i] as string[];
    table.push(
      row.map((text, col) => {
        const wrapped = wrap(text, widths[col] as number).join("\n");
        if (col === 1) return paintSeverity(c, text as Severity, wrapped);
        return col === 5 ? paintAction(c, r, wrapped) : wrapped;
      }),
    );
    // The message repeats the columns, unless its severity could not be read; suppressions are said under the hit.
    const note = [
      ...(vulnerabilityHit(r)?.severity === undefined ? [safe(r.message)] : []),
      ...suppressionNote(r),
    ].join(" · ");
    if (note) table.push([{ colSpan: head.length, content: wrap(note, spanWidth(widths)).join("\n") }]);
  });
  return table.toString();
}

function triggerTable(rows: ResultRow[], width: number, c: Colors): string {
  const head = ["Trigger", "Action", "Message"];
  const cells = rows.map((r) => [
    safe(r.trigger),
    actionWord(r),
    [safe(r.message), ...suppressionNote(r)].join(" · "),
  ]);
  const widths = layout(
    head.map((h, i) => {
      const natural = Math.max(h.length, ...cells.map((row) => (row[i] as string).length));
      return { natural, min: i === 1 ? natural : Math.min(natural, i === 0 ? 16 : 20) };
    }),
    width,
  );
  const table = newTable(head, widths, c);
  rows.forEach((r, i) => {
    const row = cells[i] as string[];
    table.push(
      row.map((text, col) => {
        const wrapped = wrap(text, widths[col] as number).join("\n");
        return col === 1 ? paintAction(c, r, wrapped) : wrapped;
      }),
    );
  });
  return table.toString();
}

function newTable(head: string[], widths: number[], c: Colors): Table.Table {
  return new Table({
    head: head.map((h) => c.cyan(h)),
    // Cells arrive wrapped to these widths; the padding of one space each side is added here.
    colWidths: widths.map((w) => w + 2),
    style: { head: [], border: [] },
    chars: c.isColorSupported ? greyBorders(c) : {},
  });
}

// cli-table3 colours borders through its own colour library; this keeps colour in one place (picocolors).
function greyBorders(c: Colors): Partial<Record<Table.CharName, string>> {
  const chars: Record<Table.CharName, string> = {
    top: "─",
    "top-mid": "┬",
    "top-left": "┌",
    "top-right": "┐",
    bottom: "─",
    "bottom-mid": "┴",
    "bottom-left": "└",
    "bottom-right": "┘",
    left: "│",
    "left-mid": "├",
    mid: "─",
    "mid-mid": "┼",
    right: "│",
    "right-mid": "┤",
    middle: "│",
  };
  return Object.fromEntries(Object.entries(chars).map(([k, v]) => [k, c.gray(v)]));
}

/** Content width of a cell spanning all columns: the columns, their padding and the borders between them. */
function spanWidth(widths: number[]): number {
  return widths.reduce((a, b) => a + b, 0) + 3 * (widths.length - 1);
}

/**
 * Content widths of columns for a table `total` characters wide (borders and padding included): every
 * column gets its minimum, then what is left goes to the columns still short of their natural width, in
 * equal shares. When even the minimums do not fit, the widest columns give way first.
 */
function layout(cols: { natural: number; min: number }[], total: number): number[] {
  const available = total - (3 * cols.length + 1);
  const widths = cols.map((col) => Math.max(1, col.min));
  // Hostile input (a 500-character id) cannot push the table past the width.
  while (widths.reduce((a, b) => a + b, 0) > available) {
    const widest = widths.indexOf(Math.max(...widths));
    if ((widths[widest] as number) <= 4) break;
    widths[widest] = (widths[widest] as number) - 1;
  }
  let left = available - widths.reduce((a, b) => a + b, 0);
  let hungry = cols
    .map((_, i) => i)
    .filter((i) => (widths[i] as number) < (cols[i] as { natural: number }).natural);
  while (left > 0 && hungry.length > 0) {
    const share = Math.max(1, Math.floor(left / hungry.length));
    for (const i of hungry) {
      const give = Math.min(share, (cols[i] as { natural: number }).natural - (widths[i] as number), left);
      widths[i] = (widths[i] as number) + give;
      left -= give;
    }
    hungry = hungry.filter((i) => (widths[i] as number) < (cols[i] as { natural: number }).natural);
  }
  return widths;
}

// Where a word too long for its column may break: after these characters (package names, versions, paths, URLs).
const BREAK_AFTER = /(?<=[-_/.+:,;=~&?#])/;

/**
 * `text` as lines of at most `width` characters, broken between words; a word longer than the width breaks
 * after punctuation, and only a word without any is cut. Continuation lines start with `indent`.
 */
export function wrap(text: string, width: number, indent = ""): string[] {
  const lines: string[] = [];
  let line = "";
  const room = () => (lines.length === 0 ? width : width - indent.length);
  for (const word of text.split(" ")) {
    const pieces =
      word.length <= Math.max(1, width - indent.length) ? [word] : splitWord(word, width - indent.length);
    pieces.forEach((piece, i) => {
      const gap = line !== "" && i === 0 ? 1 : 0;
      if (line === "" || line.length + gap + piece.length <= room()) {
        line += (gap ? " " : "") + piece;
      } else {
        lines.push(line);
        line = piece;
      }
    });
  }
  lines.push(line);
  return lines.map((l, i) => (i === 0 ? l : indent + l));
}

function splitWord(word: string, width: number): string[] {
  const w = Math.max(1, width);
  return word.split(BREAK_AFTER).flatMap((p) => {
    const out: string[] = [];
    for (let i = 0; i < p.length; i += w) out.push(p.slice(i, i + w));
    return out;
  });
}

function labelled(c: Colors, label: string, text: string, width: number): string[] {
  const lines = wrap(`${label} ${text}`, width, "  ");
  return [c.bold(label) + (lines[0] ?? "").slice(label.length), ...lines.slice(1)];
}

function actionWord(r: ResultRow): string {
  return r.status === "error" ? "error" : r.effectiveAction;
}

function paintAction(c: Colors, r: ResultRow, text: string): string {
  if (r.status === "error") return c.magenta(text);
  return paint(c, r.effectiveAction, text);
}

function paint(c: Colors, action: Action, text: string): string {
  return action === "stop" ? c.red(text) : action === "warn" ? c.yellow(text) : c.green(text);
}

function paintSeverity(c: Colors, severity: Severity, text: string): string {
  return severity === "critical" || severity === "high"
    ? c.red(text)
    : severity === "medium"
      ? c.yellow(text)
      : text;
}

function suppressionNote(r: ResultRow): string[] {
  if (r.allowlisted) {
    return [
      safe(
        `allowlisted by ${r.allowlisted.allowlistName ?? r.allowlisted.allowlistId}: ${r.allowlisted.itemId}`,
      ),
    ];
  }
  if (vexSuppressed(r)) {
    return [
      safe(`suppressed by VEX ${r.vex?.status}${r.vex?.justification ? ` (${r.vex.justification})` : ""}`),
    ];
  }
  return [];
}

/** One line: verdict, final action, reason and counts — what CI logs show last. */
export function summaryLine(decision: DecisionV1, c = pc.createColors(false)): string {
  const count = (a: Action) =>
    decision.results.filter((r) => r.effectiveAction === a && !r.allowlisted).length;
  const allowlisted = decision.results.filter((r) => r.allowlisted).length;
  const errors = decision.results.filter((r) => r.status === "error").length;
  const verdict = decision.status === "pass" ? c.green(c.bold("PASS")) : c.red(c.bold("FAIL"));
  const parts = [`${count("stop")} stop`, `${count("warn")} warn`, `${allowlisted} allowlisted`];
  const byVex = decision.results.filter((r) => !r.allowlisted && vexSuppressed(r)).length;
  if (byVex > 0) parts.push(`${byVex} suppressed by VEX`);
  if (errors > 0) parts.push(`${errors} error${errors > 1 ? "s" : ""}`);
  return `${verdict} final action ${decision.finalAction.toUpperCase()} (${decision.reason.replace("_", " ")}): ${parts.join(", ")}`;
}
