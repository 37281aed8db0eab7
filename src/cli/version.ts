/** The package version, shown by --version and written into verification summaries. */
export const VERSION = "0.1.0";
