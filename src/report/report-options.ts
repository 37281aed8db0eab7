import type { Bundle } from "../model/index.js";

/** Options every output format receives. */
export interface ReportOptions {
  /** Use ANSI colours (the CLI sets this only for a TTY without NO_COLOR). */
  color: boolean;
  /** Terminal width, for formats that wrap. */
  width?: number;
  /** The bundle the decision was made with, for formats that explain rules that did not fire. */
  bundle?: Bundle;
}
