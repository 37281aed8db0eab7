import type { DecisionV1 } from "../model/index.js";
import { formatAnchore } from "./anchore-format.js";
import { formatExplain } from "./explain-format.js";
import type { ReportFormatName } from "./format-names.js";
import { formatGitlab } from "./gitlab-format.js";
import { formatHtml } from "./html-format.js";
import { formatJson } from "./json-format.js";
import { formatJunit } from "./junit-format.js";
import { formatMarkdown } from "./markdown-format.js";
import type { ReportOptions } from "./report-options.js";
import { formatSarif } from "./sarif-format.js";
import { formatTable } from "./table-format.js";

/** A report format: a decision in, text out. */
export type ReportFormatter = (decision: DecisionV1, options: ReportOptions) => string;

/** Every output format by name; `--format` chooses from these. */
export const REPORT_FORMATS: Readonly<Record<ReportFormatName, ReportFormatter>> = {
  table: formatTable,
  json: formatJson,
  anchore: formatAnchore,
  sarif: formatSarif,
  junit: formatJunit,
  markdown: formatMarkdown,
  html: formatHtml,
  gitlab: formatGitlab,
  explain: formatExplain,
};

export { REPORT_FORMAT_NAMES } from "./format-names.js";
