import type { Bundle, ImageFacts } from "../model/index.js";

/** Options every output format receives. */
export interface ReportOptions {
  /** Use ANSI colours (the CLI sets this only for a TTY without NO_COLOR). */
  color: boolean;
  /** Terminal width, for formats that wrap; absent when not writing to a terminal (the table keeps to 80). */
  width?: number;
  /** Only the verdict line (`check --quiet`), for formats that have one. */
  summaryOnly?: boolean;
  /** The bundle the decision was made with, for formats that explain rules that did not fire. */
  bundle?: Bundle;
  /** The facts the decision was made from, for formats that show installed versions, CVSS scores or the distro. */
  facts?: ImageFacts;
}
