import { CipError } from "../../model/index.js";
import { REPORTS_AND_DECISIONS } from "./0001-reports-and-decisions.js";
import { EVENTS_AND_VERDICTS } from "./0002-events-and-verdicts.js";
import { MONITOR } from "./0003-monitor.js";
import type { Migration } from "./migration.js";

export type { Migration } from "./migration.js";

/**
 * Every migration this binary knows, in order. TypeScript modules rather than .sql files because the CLI
 * ships as one esbuild bundle; add a file `NNNN-name.ts` and append it here.
 */
export const MIGRATIONS: readonly Migration[] = [REPORTS_AND_DECISIONS, EVENTS_AND_VERDICTS, MONITOR];

/** The schema version a store has once every known migration is applied. */
export const LATEST_SCHEMA_VERSION = Math.max(...MIGRATIONS.map((m) => m.version));

/** The table both adapters record applied migrations in. */
export const MIGRATIONS_TABLE = "schema_migrations";

/**
 * The migrations still to apply given the versions a database records, in order. A database at a version
 * this binary does not know was migrated by a newer cipolice: running against it could corrupt it, so this
 * refuses with CIP_STORE.
 */
export function pendingMigrations(applied: readonly number[], location: string): Migration[] {
  const newest = applied.length === 0 ? 0 : Math.max(...applied);
  if (newest > LATEST_SCHEMA_VERSION) {
    throw new CipError(
      "CIP_STORE",
      `Cannot open the store: its schema is at version ${newest}, newer than the ${LATEST_SCHEMA_VERSION} this cipolice knows (${location})`,
      {
        hint: "A newer cipolice migrated this database: run that version (or newer), or point this one at another database.",
      },
    );
  }
  const done = new Set(applied);
  return MIGRATIONS.filter((m) => !done.has(m.version));
}
