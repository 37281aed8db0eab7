/** Options every output format receives. */
export interface ReportOptions {
  /** Use ANSI colours (the CLI sets this only for a TTY without NO_COLOR). */
  color: boolean;
  /** Terminal width, for formats that wrap. */
  width?: number;
}
