import { CipError } from "../../model/index.js";

/** The evaluation time: `--now` when given (RFC 3339), else the clock. */
export function parseNow(text: string | undefined): Date {
  if (text === undefined) return new Date();
  const ms = Date.parse(text);
  if (Number.isNaN(ms) || !/^\d{4}-\d{2}-\d{2}/.test(text)) {
    throw new CipError("CIP_USAGE", `Cannot use --now ${JSON.stringify(text)}: not an RFC 3339 date-time`, {
      hint: "Write for example 2026-11-01T00:00:00Z.",
    });
  }
  return new Date(ms);
}
