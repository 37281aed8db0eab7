import type { DecisionV1 } from "../model/index.js";
import { terminalSafeJson } from "../model/terminal-safe.js";

/** The decision as versioned JSON (DecisionV1), pretty-printed. */
export function formatJson(decision: DecisionV1): string {
  return terminalSafeJson(`${JSON.stringify(decision, null, 2)}\n`);
}
