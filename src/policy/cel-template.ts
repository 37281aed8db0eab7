import type { Environment, ParseResult } from "@marcbachmann/cel-js";
import { type CelMeter, checkCelLimits, meterCel } from "./cel-limits.js";
import { celRegexProblem, linearCelMatches } from "./cel-regex.js";

/** A message template compiled once: call it with the CEL variables to get the text. */
export type CelTemplate = (variables: Record<string, unknown>) => string;

/**
 * Compiles a message template whose `{{ expr }}` placeholders are CEL expressions over the environment's
 * variables. Throws an Error naming the placeholder when one does not parse or type-check, or a
 * CelLimitError when one nests deeper than the limits; with a meter, placeholders count their steps on it.
 */
export function compileCelTemplate(env: Environment, template: string, meter?: CelMeter): CelTemplate {
  const parts: (string | { source: string; run: ParseResult })[] = [];
  let rest = template;
  let offset = 0;
  while (rest.length > 0) {
    const open = rest.indexOf("{{");
    if (open < 0) {
      parts.push(rest);
      break;
    }
    const close = rest.indexOf("}}", open + 2);
    if (close < 0) throw new Error(`"{{" at position ${offset + open + 1} is never closed by "}}"`);
    if (open > 0) parts.push(rest.slice(0, open));
    const source = rest.slice(open + 2, close).trim();
    if (source === "") throw new Error(`empty placeholder "{{}}" at position ${offset + open + 1}`);
    parts.push({ source, run: compilePlaceholder(env, source, meter) });
    offset += close + 2;
    rest = rest.slice(close + 2);
  }
  return (variables) =>
    parts
      .map((part) => {
        if (typeof part === "string") return part;
        try {
          return formatCelValue(part.run(variables));
        } catch (error) {
          if (meter?.exceeded) throw error;
          throw new Error(`placeholder {{ ${part.source} }} failed: ${celErrorSummary(error)}`);
        }
      })
      .join("");
}

function compilePlaceholder(env: Environment, source: string, meter: CelMeter | undefined): ParseResult {
  let run: ParseResult;
  try {
    run = env.parse(source);
  } catch (error) {
    throw new Error(`placeholder {{ ${source} }}: ${(error as Error).message}`);
  }
  checkCelLimits(run, `placeholder {{ ${source} }}`);
  const checked = run.check();
  if (!checked.valid)
    throw new Error(`placeholder {{ ${source} }}: ${checked.error?.message ?? "does not type-check"}`);
  const regexProblem = celRegexProblem(run);
  if (regexProblem) throw new Error(`placeholder {{ ${source} }}: ${regexProblem}`);
  linearCelMatches(run);
  if (meter) meterCel(run, meter);
  return run;
}

/** Text for a CEL value in a message: strings as they are, lists comma-separated, timestamps in RFC 3339. */
export function formatCelValue(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (typeof value === "string") return value;
  if (typeof value === "bigint" || typeof value === "number" || typeof value === "boolean")
    return String(value);
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(formatCelValue).join(", ");
  if (value instanceof Map) {
    return `{${[...value].map(([k, v]) => `${formatCelValue(k)}: ${formatCelValue(v)}`).join(", ")}}`;
  }
  if (value instanceof Uint8Array) return [...value].map((b) => b.toString(16).padStart(2, "0")).join("");
  // Durations and other library values print themselves in CEL's notation (`3600s`).
  if (
    value.constructor !== Object &&
    typeof value.toString === "function" &&
    value.toString !== Object.prototype.toString
  ) {
    return value.toString();
  }
  return `{${Object.entries(value)
    .map(([k, v]) => `${k}: ${formatCelValue(v)}`)
    .join(", ")}}`;
}

/** One line for a CEL error: the library's summary and the column it points at. */
export function celErrorSummary(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const summary = "summary" in error && typeof error.summary === "string" ? error.summary : error.message;
  const start = "range" in error ? (error.range as { start?: number } | undefined)?.start : undefined;
  return start === undefined ? summary : `${summary} (at column ${start + 1})`;
}
