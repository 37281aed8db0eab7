import type { CipError } from "../model/index.js";
import { terminalLine } from "../model/terminal-safe.js";
import { EXIT } from "./exit-codes.js";
import { formatProblem } from "./print-error.js";

/**
 * Prints why a file given to a `validate` command did not load: `FILE: invalid: …` with every problem and
 * the hint when the error is one of `invalidCodes`, else `FILE: unreadable: …`. Returns the exit code it
 * calls for: 1 for an invalid file, 2 for one that cannot be read.
 */
export function printValidationFailure(
  file: string,
  error: CipError,
  invalidCodes: readonly string[],
): number {
  const invalid = invalidCodes.includes(error.code);
  process.stdout.write(
    `${terminalLine(file)}: ${invalid ? "invalid" : "unreadable"}: ${terminalLine(error.message)}\n`,
  );
  for (const p of error.problems) process.stdout.write(`  ${formatProblem(p)}\n`);
  if (error.hint) process.stdout.write(`  hint: ${terminalLine(error.hint)}\n`);
  return invalid ? EXIT.policyFailure : EXIT.cannotEvaluate;
}
