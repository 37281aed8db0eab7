import { homedir } from "node:os";
import { Command } from "@commander-js/extra-typings";
import { EXIT } from "../exit-codes.js";

/** The database path: `--db`, else the default in the user's data directory. */
async function dbPathOf(given: string | undefined): Promise<string> {
  if (given !== undefined) return given;
  const { defaultVulnDatabasePath } = await import("../../vulndb/vuln-database.js");
  return defaultVulnDatabasePath(process.env, homedir());
}

/** `cipolice db import|info`: the local OSV vulnerability database that `check --analyze` matches against. */
export function dbCommand(setExitCode: (code: number) => void) {
  const db = new Command("db").description(
    "The local OSV vulnerability database: import OSV records, show what it holds",
  );
  db.command("import")
    .description(
      "Import OSV records (directories of OSV JSON, OSV's per-ecosystem all.zip exports, single records); the import time is the feed age",
    )
    .argument("<paths...>", "directories, zip files or JSON records")
    .option(
      "--db <path>",
      "the database file (default $XDG_DATA_HOME/cipolice/osv.db, else ~/.local/share/cipolice/osv.db)",
    )
    .option("--strict", "stop at the first invalid record instead of skipping it")
    .action(async (paths, opts) => {
      const { importOsv } = await import("../../vulndb/import-osv.js");
      const dbPath = await dbPathOf(opts.db);
      const summary = await importOsv(paths, dbPath, { ...(opts.strict ? { strict: true } : {}) });
      process.stdout.write(
        `imported ${summary.records} OSV record(s) into ${summary.dbPath} in ${summary.seconds.toFixed(1)} s (${Math.round(summary.recordsPerSecond)}/s): ${summary.written} written, ${summary.keptNewer} kept (the database's were newer), ${summary.rejected} rejected\n`,
      );
      for (const problem of summary.problems) process.stderr.write(`  rejected: ${problem}\n`);
      setExitCode(summary.rejected > 0 && summary.records === 0 ? EXIT.cannotEvaluate : EXIT.pass);
    });
  db.command("info")
    .description("Show the database file, its record counts and its last import (the feed age)")
    .option("--db <path>", "the database file")
    .action(async (opts) => {
      const { openVulnDatabase } = await import("../../vulndb/vuln-database.js");
      const database = openVulnDatabase(await dbPathOf(opts.db), { readonly: true });
      try {
        process.stdout.write(`${JSON.stringify(database.info(), null, 2)}\n`);
      } finally {
        database.close();
      }
      setExitCode(EXIT.pass);
    });
  return db;
}
