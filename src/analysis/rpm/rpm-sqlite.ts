import Database from "better-sqlite3";
import { CipError } from "../../model/index.js";
import type { RpmHeaderBlob } from "./rpm-blob.js";

/** The first 16 bytes of every SQLite 3 database file. */
const SQLITE_MAGIC = "SQLite format 3\0";

/** True when the bytes start like an SQLite 3 database (rpm ≥ 4.16: `rpmdb.sqlite`). */
export function isSqliteDatabase(bytes: Uint8Array): boolean {
  if (bytes.byteLength < 100) return false;
  return Buffer.from(bytes.buffer, bytes.byteOffset, 16).toString("latin1") === SQLITE_MAGIC;
}

/**
 * Reads the header blobs of an rpm SQLite database (table `Packages(hnum INTEGER PRIMARY KEY, blob BLOB)`)
 * in `hnum` order, the order `rpm -qa` lists them. The file is opened in memory and read-only; no file is
 * written. At most `maxPackages` rows are read. Failures are CIP_PACKAGE_DB_INVALID naming `where`.
 */
export function readSqliteHeaderBlobs(
  bytes: Uint8Array,
  where: string,
  maxPackages: number,
): RpmHeaderBlob[] {
  const fail = (what: string, cause?: unknown) =>
    new CipError("CIP_PACKAGE_DB_INVALID", `Cannot read rpm SQLite database: ${what} (${where})`, {
      hint: "The file is damaged or not an rpm database.",
      cause,
    });
  if (!isSqliteDatabase(bytes)) throw fail("no SQLite 3 header");
  // A copy: the header is patched below, and the caller's bytes stay as they were.
  const copy = Buffer.from(bytes);
  // rpm keeps its database in WAL mode (file format bytes 18/19 = 2); SQLite cannot open a WAL-mode image
  // from memory, and with no -wal file beside it the rollback-journal reading (1) sees the same pages.
  if (copy[18] === 2) copy[18] = 1;
  if (copy[19] === 2) copy[19] = 1;
  let db: Database.Database;
  try {
    db = new Database(copy, { readonly: true });
  } catch (error) {
    throw fail(`SQLite refused it: ${messageOf(error)}`, error);
  }
  try {
    const blobs: RpmHeaderBlob[] = [];
    let rows: IterableIterator<unknown>;
    try {
      rows = db.prepare("SELECT hnum, blob FROM Packages ORDER BY hnum").iterate();
    } catch (error) {
      throw fail(`no readable Packages table: ${messageOf(error)}`, error);
    }
    try {
      for (const row of rows) {
        const { hnum, blob } = row as { hnum: unknown; blob: unknown };
        if (blobs.length >= maxPackages) throw fail(`more than ${maxPackages} packages`);
        if (!(blob instanceof Uint8Array)) throw fail(`row hnum ${String(hnum)} holds no blob`);
        blobs.push({ key: Number(hnum), blob, where: `${where}, Packages hnum ${String(hnum)}` });
      }
    } catch (error) {
      if (error instanceof CipError) throw error;
      throw fail(`SQLite failed while reading Packages: ${messageOf(error)}`, error);
    }
    return blobs;
  } finally {
    db.close();
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
