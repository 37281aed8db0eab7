import { existsSync, mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import Database from "better-sqlite3";
import { CipError } from "../model/errors.js";
import type { CvssEntry, Provenance } from "../model/facts.js";
import { baseEcosystem } from "../versions/ecosystem-order.js";
import type { OsvRecord } from "./osv-record.js";
import {
  decodePackageEntries,
  encodeAffectedEntry,
  type IndexedAffected,
  type RecordColumns,
} from "./package-index.js";
import { packageKey } from "./package-names.js";
import { cvssEntries, recordSeverity, severityFromWord } from "./record-severity.js";

/** The layout version of the database file; a file of another version is refused, never half-read. */
export const VULN_DB_SCHEMA_VERSION = 2;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS records (
  id TEXT PRIMARY KEY,
  modified TEXT NOT NULL,
  published TEXT,
  withdrawn TEXT,
  aliases TEXT NOT NULL,
  advisories TEXT NOT NULL,
  severity TEXT NOT NULL,
  cvss TEXT NOT NULL,
  summary TEXT,
  url TEXT,
  raw TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS affected (
  record_id TEXT NOT NULL,
  ecosystem_base TEXT NOT NULL,
  name TEXT NOT NULL,
  entry TEXT
);
CREATE INDEX IF NOT EXISTS affected_by_package ON affected (ecosystem_base, name);
CREATE INDEX IF NOT EXISTS affected_by_record ON affected (record_id);
CREATE TABLE IF NOT EXISTS package_index (
  ecosystem_base TEXT NOT NULL,
  name TEXT NOT NULL,
  entries TEXT NOT NULL,
  PRIMARY KEY (ecosystem_base, name)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS pending_index (
  ecosystem_base TEXT NOT NULL,
  name TEXT NOT NULL,
  PRIMARY KEY (ecosystem_base, name)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS imports (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  imported_at TEXT NOT NULL,
  sources TEXT NOT NULL,
  records INTEGER NOT NULL,
  written INTEGER NOT NULL,
  kept_newer INTEGER NOT NULL,
  rejected INTEGER NOT NULL
);
`;

/** One import run, as `imports` keeps it; `importedAt` is the feed age `stale_feed_data` reads. */
export interface ImportRun {
  importedAt: string;
  sources: string[];
  records: number;
  written: number;
  /** Records not written because the database holds a newer version of them. */
  keptNewer: number;
  rejected: number;
}

/** What the database holds. */
export interface VulnDatabaseInfo {
  path: string;
  schemaVersion: number;
  records: number;
  affected: number;
  lastImport?: ImportRun;
}

/** What storing a record did: written (new, same or newer `modified`), or kept the stored, newer one. */
export type StoreOutcome = "written" | "kept-newer";

/** How to open the database. */
export interface OpenVulnDatabaseOptions {
  /** Create the file (and its directory) when missing; default false, which refuses a missing file. */
  create?: boolean;
  readonly?: boolean;
}

/**
 * The default database path: `$XDG_DATA_HOME/cipolice/osv.db`, else `~/.local/share/cipolice/osv.db`.
 * The caller passes the environment and home directory (only entry points read them).
 */
export function defaultVulnDatabasePath(
  env: Readonly<Record<string, string | undefined>>,
  home: string,
): string {
  const dataHome = env.XDG_DATA_HOME;
  const base = dataHome?.startsWith("/") ? dataHome : join(home, ".local", "share");
  return join(base, "cipolice", "osv.db");
}

// RFC 3339 timestamps of OSV records differ in fraction digits, so compare instants and then text.
function compareTimestamps(a: string, b: string): number {
  const ta = Date.parse(a);
  const tb = Date.parse(b);
  if (!Number.isNaN(ta) && !Number.isNaN(tb) && ta !== tb) return ta - tb;
  return a < b ? -1 : a > b ? 1 : 0;
}

function advisoryUrl(record: OsvRecord): string | undefined {
  const advisory = record.references.find((r) => r.type === "ADVISORY") ?? record.references[0];
  if (advisory !== undefined && /^https?:\/\//.test(advisory.url) && advisory.url.length <= 2048)
    return advisory.url;
  return undefined;
}

/**
 * The local OSV database file (SQLite): records with their aliases, severity and raw JSON; affected
 * entries indexed by (base ecosystem, package name); and the import runs. Close it when done.
 */
export class VulnDatabase {
  /** Bumped by every write, so caches of parsed rows know to start over. */
  generation = 0;
  // The generation at which no pending index rows were seen, so reads check once per write.
  private indexChecked = -1;
  private readonly statements: ReturnType<VulnDatabase["prepare"]>;

  /** Use {@link openVulnDatabase}. */
  constructor(
    /** Absolute path of the file. */
    readonly path: string,
    private readonly db: Database.Database,
  ) {
    this.statements = this.prepare();
  }

  private prepare() {
    const db = this.db;
    return {
      packageEntries: db
        .prepare<[string, string], string>(
          "SELECT entries FROM package_index WHERE ecosystem_base = ? AND name = ?",
        )
        .pluck(),
      keysOfRecord: db.prepare<[string], { ecosystem_base: string; name: string }>(
        "SELECT DISTINCT ecosystem_base, name FROM affected WHERE record_id = ?",
      ),
      markPending: db.prepare<[string, string]>(
        "INSERT OR IGNORE INTO pending_index (ecosystem_base, name) VALUES (?, ?)",
      ),
      anyPending: db
        .prepare<[], number>("SELECT count(*) FROM (SELECT 1 FROM pending_index LIMIT 1)")
        .pluck(),
      countPending: db.prepare<[], number>("SELECT count(*) FROM pending_index").pluck(),
      dropPendingIndex: db.prepare(
        "DELETE FROM package_index WHERE (ecosystem_base, name) IN (SELECT ecosystem_base, name FROM pending_index)",
      ),
      // Entries in record order; a withdrawn record's entries have no text and are left out.
      buildPendingIndex: db.prepare(
        `INSERT INTO package_index (ecosystem_base, name, entries)
         SELECT ecosystem_base, name, '[' || group_concat(entry, ',') || ']' FROM (
           SELECT a.ecosystem_base, a.name, a.entry FROM pending_index p
           JOIN affected a ON a.ecosystem_base = p.ecosystem_base AND a.name = p.name
           WHERE a.entry IS NOT NULL ORDER BY a.ecosystem_base, a.name, a.record_id, a.rowid
         ) GROUP BY ecosystem_base, name`,
      ),
      clearPending: db.prepare("DELETE FROM pending_index"),
      modified: db.prepare<[string], { modified: string }>("SELECT modified FROM records WHERE id = ?"),
      deleteAffected: db.prepare<[string]>("DELETE FROM affected WHERE record_id = ?"),
      upsertRecord: db.prepare(
        `INSERT OR REPLACE INTO records (id, modified, published, withdrawn, aliases, advisories, severity, cvss, summary, url, raw)
         VALUES (@id, @modified, @published, @withdrawn, @aliases, @advisories, @severity, @cvss, @summary, @url, @raw)`,
      ),
      insertAffected: db.prepare(
        "INSERT INTO affected (record_id, ecosystem_base, name, entry) VALUES (@record_id, @ecosystem_base, @name, @entry)",
      ),
      insertImport: db.prepare(
        "INSERT INTO imports (imported_at, sources, records, written, kept_newer, rejected) VALUES (?, ?, ?, ?, ?, ?)",
      ),
      lastImport: db.prepare<
        [],
        {
          imported_at: string;
          sources: string;
          records: number;
          written: number;
          kept_newer: number;
          rejected: number;
        }
      >(
        "SELECT imported_at, sources, records, written, kept_newer, rejected FROM imports ORDER BY id DESC LIMIT 1",
      ),
      raw: db.prepare<[string], { raw: string }>("SELECT raw FROM records WHERE id = ?"),
    };
  }

  /**
   * The indexed affected entries of a package in a base ecosystem (`Debian`, `PyPI`); `name` as {@link packageKey}
   * gives it. Refuses a database whose last import stopped before its index was brought up to date.
   */
  packageEntries(ecosystemBase: string, name: string): IndexedAffected[] {
    if (this.indexChecked !== this.generation) {
      if (this.statements.anyPending.get() !== 0) {
        throw new CipError(
          "CIP_STORE",
          `Cannot match against the vulnerability database: its last import did not finish (${this.path})`,
          { hint: "Run cipolice db import again; it completes the unfinished import's package index." },
        );
      }
      this.indexChecked = this.generation;
    }
    const text = this.statements.packageEntries.get(ecosystemBase, name);
    return text === undefined ? [] : decodePackageEntries(text);
  }

  /**
   * Rebuilds the package index of every package an import touched since the last call (in one transaction),
   * so matching reads each package in one row. Call once an import's records are stored.
   */
  refreshPackageIndex(): number {
    const rebuilt = this.db.transaction(() => {
      const pending = this.statements.countPending.get() ?? 0;
      this.statements.dropPendingIndex.run();
      this.statements.buildPendingIndex.run();
      this.statements.clearPending.run();
      return pending;
    })();
    this.generation++;
    return rebuilt;
  }

  /** The stored JSON of a record, as imported. */
  rawRecord(id: string): string | undefined {
    return this.statements.raw.get(id)?.raw;
  }

  /**
   * Stores a record, replacing the stored one and its affected rows unless that one's `modified` is newer
   * (a re-import of an older export never undoes a newer one). Call inside {@link transaction}.
   */
  store(record: OsvRecord, raw: string): StoreOutcome {
    const stored = this.statements.modified.get(record.id);
    if (stored !== undefined && compareTimestamps(stored.modified, record.modified) > 0) return "kept-newer";
    this.generation++;
    // The packages a stored record named before and the ones it names now all need their index rebuilt.
    if (stored !== undefined) {
      for (const key of this.statements.keysOfRecord.all(record.id))
        this.statements.markPending.run(key.ecosystem_base, key.name);
    }
    this.statements.deleteAffected.run(record.id);
    const cvss: CvssEntry[] = cvssEntries(record.severity);
    const columns: RecordColumns = {
      id: record.id,
      aliases: JSON.stringify(record.aliases),
      advisories: JSON.stringify([...new Set([...record.upstream, ...record.related])]),
      severity: recordSeverity(record),
      cvss: JSON.stringify(cvss),
      summary: record.summary ?? record.details?.slice(0, 1000) ?? null,
      url: advisoryUrl(record) ?? null,
    };
    this.statements.upsertRecord.run({
      ...columns,
      modified: record.modified,
      published: record.published ?? null,
      withdrawn: record.withdrawn ?? null,
      raw,
    });
    for (const affected of record.affected) {
      const base = baseEcosystem(affected.ecosystem);
      const own = severityFromWord(affected.severityWord);
      const entryCvss = cvssEntries(affected.severity);
      const name = packageKey(base, affected.name);
      this.statements.markPending.run(base, name);
      const ranges = affected.ranges.filter((r) => r.type !== "GIT");
      const severity =
        own !== undefined && own !== "unknown"
          ? own
          : entryCvss.length > 0 || affected.severity.length > 0
            ? recordSeverity(record, affected)
            : null;
      this.statements.insertAffected.run({
        record_id: record.id,
        ecosystem_base: base,
        name,
        // A withdrawn record keeps its rows (so a newer copy finds what to replace) but has no entry to match.
        entry:
          record.withdrawn === undefined
            ? encodeAffectedEntry(columns, affected.ecosystem, base, ranges, affected.versions, severity)
            : null,
      });
    }
    return "written";
  }

  /** Runs `work` in one transaction (all or nothing, and far faster than one per record). */
  transaction<T>(work: () => T): T {
    return this.db.transaction(work)();
  }

  /** Records an import run. */
  recordImport(run: ImportRun): void {
    this.generation++;
    this.statements.insertImport.run(
      run.importedAt,
      JSON.stringify(run.sources),
      run.records,
      run.written,
      run.keptNewer,
      run.rejected,
    );
  }

  /** What the database holds, with its last import (the feed age). */
  info(): VulnDatabaseInfo {
    const count = (table: string): number =>
      (this.db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
    const last = this.statements.lastImport.get();
    const info: VulnDatabaseInfo = {
      path: this.path,
      schemaVersion: VULN_DB_SCHEMA_VERSION,
      records: count("records"),
      affected: count("affected"),
    };
    if (last !== undefined) {
      info.lastImport = {
        importedAt: last.imported_at,
        sources: JSON.parse(last.sources) as string[],
        records: last.records,
        written: last.written,
        keptNewer: last.kept_newer,
        rejected: last.rejected,
      };
    }
    return info;
  }

  /**
   * The provenance of findings matched here: source `osv`, the database file, and the last import time as
   * `dbUpdatedAt` (the feed age `stale_feed_data` reads; absent when nothing was ever imported).
   */
  provenance(): Provenance {
    const provenance: Provenance = { source: "osv", location: this.path };
    const last = this.statements.lastImport.get();
    if (last !== undefined) provenance.dbUpdatedAt = last.imported_at;
    return provenance;
  }

  /** Closes the file. */
  close(): void {
    if (this.db.open) this.db.close();
  }
}

function dbError(path: string, what: string, hint: string, cause?: unknown): CipError {
  return new CipError("CIP_STORE", `Cannot open the vulnerability database: ${what} (${path})`, {
    hint,
    cause,
  });
}

/**
 * Opens (or with `create`, creates) the OSV database file. Refuses a missing file when not creating, a
 * file that is not SQLite, and a file of another schema version.
 */
export function openVulnDatabase(path: string, options: OpenVulnDatabaseOptions = {}): VulnDatabase {
  const absolute = resolve(path);
  if (!existsSync(absolute)) {
    if (options.create !== true || options.readonly === true) {
      throw new CipError(
        "CIP_FILE_READ",
        `Cannot open the vulnerability database: the file does not exist (${absolute})`,
        {
          hint: "Import OSV records first: cipolice db import DIR|ZIP… [--db PATH].",
        },
      );
    }
    mkdirSync(dirname(absolute), { recursive: true });
  }
  let db: Database.Database;
  try {
    db = new Database(absolute, {
      readonly: options.readonly === true,
      fileMustExist: options.create !== true,
    });
  } catch (error) {
    throw dbError(absolute, (error as Error).message, "Check the path and its permissions.", error);
  }
  try {
    if (options.readonly !== true) {
      db.pragma("journal_mode = WAL");
      db.pragma("synchronous = NORMAL");
    }
    const hasMeta = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").get();
    if (hasMeta === undefined) {
      const tables = db.prepare("SELECT count(*) AS n FROM sqlite_master").get() as { n: number };
      if (tables.n > 0) {
        throw dbError(
          absolute,
          "the file is an SQLite database of something else",
          "Give another --db path.",
        );
      }
      if (options.readonly === true)
        throw dbError(absolute, "the database is empty", "Import OSV records first.");
      db.exec(SCHEMA);
      db.prepare("INSERT INTO meta (key, value) VALUES ('schema_version', ?)").run(
        String(VULN_DB_SCHEMA_VERSION),
      );
    } else {
      const row = db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as
        | { value: string }
        | undefined;
      if (row?.value !== String(VULN_DB_SCHEMA_VERSION)) {
        throw dbError(
          absolute,
          `the file has schema version ${row?.value ?? "none"}, this cipolice reads version ${VULN_DB_SCHEMA_VERSION}`,
          "Delete the file and import the OSV records again.",
        );
      }
    }
  } catch (error) {
    db.close();
    if (error instanceof CipError) throw error;
    throw dbError(
      absolute,
      (error as Error).message,
      "The file may not be an SQLite database; give another --db path.",
      error,
    );
  }
  return new VulnDatabase(absolute, db);
}
