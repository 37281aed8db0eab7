import { isCipError, type Problem } from "../model/index.js";
import { terminalLine, terminalText } from "../model/terminal-safe.js";

/**
 * Formats an error for the terminal: "cipolice: <message>", one line per problem with its location,
 * then the hint. Stack traces only with --debug; an unexpected error says it is a bug. Messages quote
 * input (paths, names, values), so each is escaped for the terminal.
 */
export function formatError(error: unknown, debug: boolean): string {
  const lines: string[] = [];
  if (isCipError(error)) {
    lines.push(`cipolice: error ${error.code}: ${terminalLine(error.message)}`);
    for (const p of error.problems) lines.push(`  ${formatProblem(p)}`);
    if (error.hint) lines.push(`  hint: ${terminalLine(error.hint)}`);
  } else {
    const message = error instanceof Error ? error.message : String(error);
    lines.push(`cipolice: error CIP_INTERNAL: ${terminalLine(message)}`);
    lines.push("  hint: this is a bug in cipolice; run again with --debug and report the output.");
  }
  if (debug && error instanceof Error && error.stack) lines.push(terminalText(error.stack));
  return `${lines.join("\n")}\n`;
}

/**
 * One problem on one line: level marker, location (document path) when the message lacks it, message;
 * escaped for the terminal.
 */
export function formatProblem(p: Problem): string {
  const marker = p.level === "error" ? "-" : `${p.level}:`;
  const where = p.path && !p.message.startsWith(p.path) ? `${p.path}: ` : "";
  return terminalLine(`${marker} ${where}${p.message}`);
}
