/** One schema change: numbered, named, with the SQL text of each dialect (run as one script). */
export interface Migration {
  /** Applied in increasing order; never reused or renumbered once released. */
  version: number;
  /** kebab-case, as the module's file name says after the number. */
  name: string;
  sqlite: string;
  postgres: string;
}
