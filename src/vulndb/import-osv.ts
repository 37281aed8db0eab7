import { closeSync, type Dirent, fstatSync, openSync, readSync } from "node:fs";
import { opendir, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { CipError, isCipError } from "../model/errors.js";
import { DEFAULT_RECORD_LIMITS, type OsvRecord, type OsvRecordLimits, parseOsvRecord } from "./osv-record.js";
import { openVulnDatabase, type VulnDatabase } from "./vuln-database.js";
import { type ZipLimits, ZipReader } from "./zip-reader.js";

/** How an import runs. */
export interface ImportOptions {
  /** The import time recorded as the feed age; default now. */
  now?: Date;
  /** Stop at the first invalid record instead of skipping it with a problem. */
  strict?: boolean;
  recordLimits?: Partial<OsvRecordLimits>;
  zipLimits?: Partial<ZipLimits>;
  /** Most files a directory walk visits; default 5,000,000. */
  maxFiles?: number;
  /** Most problem messages kept in the summary (all are counted); default 50. */
  maxProblems?: number;
  /** Called after each batch with the number of records read so far. */
  onProgress?: (recordsRead: number) => void;
}

/** What an import did. */
export interface ImportSummary {
  dbPath: string;
  /** The recorded import time (RFC 3339): the feed age. */
  importedAt: string;
  sources: string[];
  /** Records read and valid. */
  records: number;
  /** Records written (new, or as new as or newer than the stored version). */
  written: number;
  /** Records skipped because the database holds a newer version. */
  keptNewer: number;
  /** Invalid records skipped (strict mode throws instead). */
  rejected: number;
  /** Why records were rejected, first ones first, each naming its file or zip entry. */
  problems: string[];
  seconds: number;
  recordsPerSecond: number;
}

const BATCH = 1000;

class Importer {
  readonly batch: { record: OsvRecord; raw: string }[] = [];
  records = 0;
  written = 0;
  keptNewer = 0;
  rejected = 0;
  files = 0;
  readonly problems: string[] = [];
  readonly limits: OsvRecordLimits;

  constructor(
    readonly db: VulnDatabase,
    readonly options: ImportOptions,
  ) {
    this.limits = { ...DEFAULT_RECORD_LIMITS, ...options.recordLimits };
  }

  add(bytes: Buffer, where: string): void {
    let record: OsvRecord;
    const text = bytes.toString("utf8");
    try {
      record = parseOsvRecord(text, where, this.limits);
    } catch (error) {
      this.reject(error);
      return;
    }
    this.records++;
    this.batch.push({ record, raw: text });
    if (this.batch.length >= BATCH) this.flush();
  }

  reject(error: unknown): void {
    if (this.options.strict === true || !isCipError(error)) throw error;
    this.rejected++;
    if (this.problems.length < (this.options.maxProblems ?? 50)) this.problems.push(error.message);
  }

  flush(): void {
    if (this.batch.length === 0) return;
    this.db.transaction(() => {
      for (const { record, raw } of this.batch) {
        if (this.db.store(record, raw) === "written") this.written++;
        else this.keptNewer++;
      }
    });
    this.batch.length = 0;
    this.options.onProgress?.(this.records);
  }

  countFile(where: string): void {
    this.files++;
    const max = this.options.maxFiles ?? 5_000_000;
    if (this.files > max) {
      throw new CipError(
        "CIP_INPUT_TOO_LARGE",
        `Cannot import OSV records: more than ${max} files (${where})`,
        {
          hint: "Import a directory of OSV records, not a whole file system.",
        },
      );
    }
  }

  // Synchronous reads: a record is a few KB, and a thread-pool round trip per call would cost more than the read.
  file(path: string): void {
    this.countFile(path);
    let fd: number;
    try {
      fd = openSync(path, "r");
    } catch (error) {
      throw new CipError("CIP_FILE_READ", `Cannot read OSV record: ${(error as Error).message} (${path})`, {
        cause: error,
      });
    }
    try {
      const size = fstatSync(fd).size;
      if (size > this.limits.maxBytes) {
        this.reject(
          new CipError(
            "CIP_INPUT_TOO_LARGE",
            `Cannot read OSV record: it is ${size} bytes, over the ${this.limits.maxBytes}-byte record limit (${path})`,
          ),
        );
        return;
      }
      // Read one byte past the size stat gave, so a file growing under us is caught by the parser's own check.
      const buffer = Buffer.alloc(Math.min(size + 1, this.limits.maxBytes + 1));
      let filled = 0;
      for (;;) {
        const read = readSync(fd, buffer, filled, buffer.length - filled, filled);
        if (read === 0 || filled + read >= buffer.length) {
          filled += read;
          break;
        }
        filled += read;
      }
      this.add(buffer.subarray(0, filled), path);
    } finally {
      closeSync(fd);
    }
  }

  async zip(path: string): Promise<void> {
    const reader = await ZipReader.open(path, this.options.zipLimits);
    try {
      for (const entry of reader.entries) {
        if (entry.name.endsWith("/") || !entry.name.toLowerCase().endsWith(".json")) continue;
        this.countFile(`${path}!${entry.name}`);
        if (entry.uncompressedSize > this.limits.maxBytes) {
          this.reject(
            new CipError(
              "CIP_INPUT_TOO_LARGE",
              `Cannot read OSV record: it is ${entry.uncompressedSize} bytes, over the ${this.limits.maxBytes}-byte record limit (${path}!${entry.name})`,
            ),
          );
          continue;
        }
        this.add(await reader.read(entry), `${path}!${entry.name}`);
      }
    } finally {
      await reader.close();
    }
  }

  async directory(path: string): Promise<void> {
    const pending = [path];
    while (pending.length > 0) {
      const dir = pending.pop() as string;
      const entries: Dirent[] = [];
      for await (const entry of await opendir(dir)) {
        entries.push(entry);
        // A directory holding more names than the whole import may visit is refused before sorting them.
        if (entries.length > (this.options.maxFiles ?? 5_000_000)) {
          throw new CipError(
            "CIP_INPUT_TOO_LARGE",
            `Cannot import OSV records: the directory holds too many files (${dir})`,
            {
              hint: "Import a directory of OSV records, not a whole file system.",
            },
          );
        }
      }
      entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      for (const entry of entries) {
        const full = join(dir, entry.name);
        // Symbolic links are not followed: a loop or a link out of the tree must not widen the import.
        if (entry.isDirectory()) pending.push(full);
        else if (!entry.isFile()) continue;
        else if (entry.name.toLowerCase().endsWith(".json")) this.file(full);
        else if (entry.name.toLowerCase().endsWith(".zip")) await this.zip(full);
      }
    }
  }
}

/**
 * Imports OSV records into the database at `dbPath` (created when missing): directories of OSV JSON
 * files (walked recursively, symbolic links not followed, `.zip` files inside read too), OSV's zip
 * exports (`all.zip`) and single `.json` records. Records are written in transactions of 1,000; a record
 * already stored is replaced unless the stored one is newer. Invalid records are skipped and counted
 * (or, with `strict`, stop the import); damaged or hostile archives stop it. The run is recorded with its
 * time, which is the feed age policies read.
 */
export async function importOsv(
  paths: string[],
  dbPath: string,
  options: ImportOptions = {},
): Promise<ImportSummary> {
  if (paths.length === 0) {
    throw new CipError("CIP_USAGE", "Cannot import OSV records: no directory or zip file given (arguments)", {
      hint: "Give directories of OSV JSON records or OSV's all.zip exports.",
    });
  }
  const started = process.hrtime.bigint();
  const db = openVulnDatabase(dbPath, { create: true });
  try {
    const importer = new Importer(db, options);
    const sources: string[] = [];
    for (const given of paths) {
      const path = resolve(given);
      sources.push(path);
      const info = await stat(path).catch((error: Error) => {
        throw new CipError("CIP_FILE_READ", `Cannot import OSV records: ${error.message} (${path})`, {
          hint: "Check the path.",
          cause: error,
        });
      });
      if (info.isDirectory()) await importer.directory(path);
      else if (path.toLowerCase().endsWith(".zip")) await importer.zip(path);
      else importer.file(path);
    }
    importer.flush();
    db.refreshPackageIndex();
    const importedAt = (options.now ?? new Date()).toISOString();
    db.recordImport({
      importedAt,
      sources,
      records: importer.records,
      written: importer.written,
      keptNewer: importer.keptNewer,
      rejected: importer.rejected,
    });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    return {
      dbPath: db.path,
      importedAt,
      sources,
      records: importer.records,
      written: importer.written,
      keptNewer: importer.keptNewer,
      rejected: importer.rejected,
      problems: importer.problems,
      seconds,
      recordsPerSecond: seconds > 0 ? Math.round(importer.records / seconds) : importer.records,
    };
  } finally {
    db.close();
  }
}
