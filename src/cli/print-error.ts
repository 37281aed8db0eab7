import { isCipError, type Problem } from "../model/index.js";

/**
 * Formats an error for the terminal: "cipolice: <message>", one line per problem with its location,
 * then the hint. Stack traces only with --debug; an unexpected error says it is a bug.
 */
export function formatError(error: unknown, debug: boolean): string {
  const lines: string[] = [];
  if (isCipError(error)) {
    lines.push(`cipolice: error ${error.code}: ${error.message}`);
    for (const p of error.problems) lines.push(`  ${formatProblem(p)}`);
    if (error.hint) lines.push(`  hint: ${error.hint}`);
  } else {
    const message = error instanceof Error ? error.message : String(error);
    lines.push(`cipolice: error CIP_INTERNAL: ${message}`);
    lines.push("  hint: this is a bug in cipolice; run again with --debug and report the output.");
  }
  if (debug && error instanceof Error && error.stack) lines.push(error.stack);
  return `${lines.join("\n")}\n`;
}

/** One problem on one line: level marker, location (document path) when the message lacks it, message. */
export function formatProblem(p: Problem): string {
  const marker = p.level === "error" ? "-" : `${p.level}:`;
  const where = p.path && !p.message.startsWith(p.path) ? `${p.path}: ` : "";
  return `${marker} ${where}${p.message}`;
}
