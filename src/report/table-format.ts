import Table from "cli-table3";
import pc from "picocolors";
import type { Action, DecisionV1, ResultRow } from "../model/index.js";
import { terminalLine as safe } from "../model/terminal-safe.js";
import type { ReportOptions } from "./report-options.js";
import { vexSuppressed } from "./vex-suppressed.js";

/**
 * The decision for people: one table per gate (trigger, action, message, allowlisting), then problems,
 * then a summary line that starts with PASS or FAIL. Colour only when `options.color`. Every text from
 * input is escaped for the terminal first, so it can neither colour nor forge a line.
 */
export function formatTable(decision: DecisionV1, options: ReportOptions): string {
  const c = pc.createColors(options.color);
  const paint = (action: Action, text: string) =>
    action === "stop" ? c.red(text) : action === "warn" ? c.yellow(text) : c.green(text);
  const lines: string[] = [];
  lines.push(
    `${c.bold("Image:")} ${safe(decision.image.ref)}${decision.image.digest ? ` (${safe(decision.image.digest)})` : ""}`,
    `${c.bold("Bundle:")} ${safe(decision.bundle.name ?? decision.bundle.id)} ${c.dim(safe(decision.bundle.digest.slice(0, 19)))}` +
      (decision.mapping
        ? `  ${c.bold("Mapping:")} ${safe(decision.mapping.name ?? decision.mapping.id ?? `#${decision.mapping.index + 1}`)}`
        : ""),
    "",
  );
  const byGate = new Map<string, ResultRow[]>();
  for (const r of decision.results) byGate.set(r.gate, [...(byGate.get(r.gate) ?? []), r]);
  const messageWidth = Math.max(30, Math.min(100, (options.width ?? 120) - 50));
  for (const [gate, rows] of byGate) {
    lines.push(c.bold(`${safe(gate)} (${rows.length})`));
    const table = new Table({
      head: ["Trigger", "Action", "Message", "Allowlisted"],
      style: { head: options.color ? ["cyan"] : [], border: options.color ? ["grey"] : [] },
      colWidths: [24, 8, messageWidth, 22],
      wordWrap: true,
    });
    for (const r of rows) {
      const action = r.status === "error" ? c.magenta("error") : paint(r.effectiveAction, r.effectiveAction);
      const allow = r.allowlisted
        ? safe(`${r.allowlisted.allowlistName ?? r.allowlisted.allowlistId}: ${r.allowlisted.itemId}`)
        : vexSuppressed(r)
          ? safe(`VEX ${r.vex?.status}${r.vex?.justification ? ` (${r.vex.justification})` : ""}`)
          : "";
      table.push([safe(r.trigger), action, safe(r.message), allow]);
    }
    lines.push(table.toString(), "");
  }
  if (decision.results.length === 0) lines.push(c.dim("No trigger fired."), "");
  for (const p of decision.problems) {
    const label =
      p.level === "error" ? c.red("error") : p.level === "warning" ? c.yellow("warning") : c.dim("note");
    lines.push(`${label}: ${safe(p.message)}`);
  }
  if (decision.problems.length > 0) lines.push("");
  lines.push(summaryLine(decision, c));
  return `${lines.join("\n")}\n`;
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
