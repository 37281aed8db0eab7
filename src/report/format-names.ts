/**
 * Names of the output formats, for help, option checks and error messages. Apart from the formatters
 * (formats.ts) so the CLI can list them without loading every formatter.
 */
export const REPORT_FORMAT_NAMES = [
  "table",
  "json",
  "anchore",
  "sarif",
  "junit",
  "markdown",
  "html",
  "gitlab",
  "explain",
] as const;

/** One of the output format names. */
export type ReportFormatName = (typeof REPORT_FORMAT_NAMES)[number];
