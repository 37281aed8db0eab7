import type { DecisionV1 } from "../model/index.js";
import { formatAnchore } from "./anchore-format.js";
import { formatJson } from "./json-format.js";
import type { ReportOptions } from "./report-options.js";
import { formatTable } from "./table-format.js";

/** A report format: a decision in, text out. */
export type ReportFormatter = (decision: DecisionV1, options: ReportOptions) => string;

/** Every output format by name; `--format` chooses from these. */
export const REPORT_FORMATS: Readonly<Record<string, ReportFormatter>> = {
  table: formatTable,
  json: formatJson,
  anchore: formatAnchore,
};

/** Names of the output formats, for help and error messages. */
export const REPORT_FORMAT_NAMES: readonly string[] = Object.keys(REPORT_FORMATS);
