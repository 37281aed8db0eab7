import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { corpusPath, skipWithoutCorpus } from "../../../test/support/corpus.js";
import { isCipError } from "../../model/index.js";
import { readRpmDatabase, readRpmHeaders } from "./read-rpm-database.js";

const SLE15 = "pkgdb/rpm/go-rpmdb/sle15-bci/Packages.db";
const MARINER = "pkgdb/rpm/go-rpmdb/cbl-mariner-2.0/rpmdb.sqlite";
const LIBUUID = "pkgdb/rpm/go-rpmdb/libuuid/Packages";
const DIVE = "pkgdb/rpm/syft/centos8-dive/Packages";
const MANIFEST = "pkgdb/rpm/syft/mariner2-distroless/container-manifest-2";

const load = (relative: string) => Buffer.from(readFileSync(corpusPath(relative)));
const invalid = (pattern: RegExp) => (e: unknown) =>
  isCipError(e) && e.code === "CIP_PACKAGE_DB_INVALID" && pattern.test(e.message);

/** The bucket page holding the first overflow record of a little-endian rpm BDB file, and that record's first overflow page. */
function firstOverflowPage(db: Buffer): {
  bucketPage: number;
  valueAt: number;
  overflowPage: number;
  pageSize: number;
} {
  const pageSize = db.readUInt32LE(20);
  const maxBucket = db.readUInt32LE(72);
  for (let bucket = 0; bucket <= maxBucket; bucket++) {
    const bucketPage =
      bucket + db.readUInt32LE(96 + 4 * (bucket === 0 ? 0 : Math.floor(Math.log2(bucket)) + 1));
    const at = bucketPage * pageSize;
    const entries = db.readUInt16LE(at + 20);
    for (let i = 0; i < entries; i += 2) {
      const valueAt = at + db.readUInt16LE(at + 26 + 2 * i + 2);
      if (db[valueAt] === 3)
        return { bucketPage, valueAt, overflowPage: db.readUInt32LE(valueAt + 4), pageSize };
    }
  }
  throw new Error("fixture has no overflow record");
}

describe("Berkeley DB: hostile files are errors, never hangs", { skip: skipWithoutCorpus(LIBUUID) }, () => {
  it("a truncated file", () => {
    const db = load(LIBUUID);
    const { overflowPage, pageSize } = firstOverflowPage(db);
    assert.throws(() => readRpmDatabase(db.subarray(0, overflowPage * pageSize + 100)), invalid(/truncated/));
  });

  it("an overflow chain that loops back on itself", () => {
    const db = load(LIBUUID);
    const { overflowPage, pageSize } = firstOverflowPage(db);
    db.writeUInt32LE(overflowPage, overflowPage * pageSize + 16);
    // The page's length field says it is full, so the chain must go on and meets its own page again.
    db.writeUInt16LE(pageSize - 26, overflowPage * pageSize + 22);
    assert.throws(() => readRpmDatabase(db), invalid(/page loop|does not fit/));
  });

  it("a bucket page chain that loops back on itself", () => {
    const db = load(LIBUUID);
    const { bucketPage, pageSize } = firstOverflowPage(db);
    db.writeUInt32LE(bucketPage, bucketPage * pageSize + 16);
    assert.throws(() => readRpmDatabase(db), invalid(/reached twice \(a page loop\)/));
  });

  it("a record claiming a 4 GiB value", () => {
    const db = load(LIBUUID);
    const { valueAt } = firstOverflowPage(db);
    db.writeUInt32LE(0xffffffff, valueAt + 8);
    assert.throws(() => readRpmDatabase(db), invalid(/more than the file can hold/));
  });

  it("a huge bucket count", () => {
    const db = load(LIBUUID);
    db.writeUInt32LE(0xfffffff0, 72);
    assert.throws(() => readRpmDatabase(db), invalid(/buckets in \d+ pages/));
  });

  it("a page size that is not a power of two", () => {
    const db = load(LIBUUID);
    db.writeUInt32LE(3000, 20);
    assert.throws(() => readRpmDatabase(db), invalid(/page size 3000/));
  });
});

describe("ndb: hostile files are errors", { skip: skipWithoutCorpus(SLE15) }, () => {
  it("a truncated file", () => {
    const db = load(SLE15);
    assert.throws(() => readRpmDatabase(db.subarray(0, db.length - 4096)), invalid(/truncated/));
  });

  it("a huge slot page count", () => {
    const db = load(SLE15);
    db.writeUInt32LE(0x7fffffff, 12);
    assert.throws(() => readRpmDatabase(db), invalid(/slot pages is outside/));
  });

  it("a changed byte inside a blob fails its Adler-32 checksum", () => {
    const db = load(SLE15);
    const blockOffset = db.readUInt32LE(32 + 8);
    const at = blockOffset * 16 + 200;
    db.writeUInt8(db.readUInt8(at) ^ 0x01, at);
    assert.throws(() => readRpmDatabase(db), invalid(/checksum does not match/));
  });

  it("a slot pointing at another package's blob", () => {
    const db = load(SLE15);
    db.writeUInt32LE(db.readUInt32LE(48 + 8), 32 + 8);
    db.writeUInt32LE(db.readUInt32LE(48 + 12), 32 + 12);
    assert.throws(() => readRpmDatabase(db), invalid(/blob belongs to package 2/));
  });
});

describe("SQLite and manifest: hostile files are errors", () => {
  it("a truncated SQLite database", { skip: skipWithoutCorpus(MARINER) }, () => {
    const db = load(MARINER);
    assert.throws(() => readRpmDatabase(db.subarray(0, 200_000)), invalid(/rpm SQLite database/));
  });

  it("an SQLite database without a Packages table", () => {
    const empty = Buffer.alloc(4096);
    Buffer.from("SQLite format 3\0").copy(empty);
    assert.throws(() => readRpmDatabase(empty), invalid(/rpm SQLite database/));
  });

  it("more packages than the limit", { skip: skipWithoutCorpus(MARINER) }, () => {
    assert.throws(
      () => readRpmDatabase(load(MARINER), { maxPackages: 100 }),
      invalid(/more than 100 packages/),
    );
  });

  it("a manifest line with too few fields", () => {
    const text = Buffer.from("a\t1-2\tc\td\te\tf\tg\th\ti\tj\nbroken\tline\n");
    assert.throws(
      () => readRpmDatabase(text, { where: "container-manifest-2" }),
      invalid(/line 2: 2 tab-separated fields/),
    );
  });
});

/** xorshift32: a fixed seed, so a failure repeats. */
function random(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x100000000;
  };
}

describe("mutations of the corpus databases", () => {
  const cases: [string, number][] = [
    [LIBUUID, 300],
    [DIVE, 300],
    [SLE15, 150],
    [MANIFEST, 300],
    [MARINER, 25],
  ];
  for (const [file, rounds] of cases) {
    it(`${rounds} mutations of ${file.split("/").slice(-2).join("/")} read or fail with CipError`, {
      skip: skipWithoutCorpus(file),
    }, () => {
      const original = load(file);
      const next = random(0x5eed ^ original.length);
      const started = Date.now();
      let failures = 0;
      for (let round = 0; round < rounds; round++) {
        let bytes = Buffer.from(original);
        const flips = 1 + Math.floor(next() * 8);
        for (let f = 0; f < flips; f++) {
          // Aim half of the flips at the first 8 KiB, where metadata, slots and small headers sit.
          const span = next() < 0.5 ? Math.min(8192, bytes.length) : bytes.length;
          bytes[Math.floor(next() * span)] = Math.floor(next() * 256);
        }
        if (next() < 0.2) bytes = bytes.subarray(0, Math.floor(next() * bytes.length));
        try {
          readRpmDatabase(bytes);
          if (!file.endsWith("manifest-2")) for (const record of readRpmHeaders(bytes)) record.header.files();
        } catch (error) {
          if (!isCipError(error))
            throw new Error(`round ${round}: not a CipError: ${String(error)}`, { cause: error });
          failures++;
        }
      }
      assert.ok(Date.now() - started < 20_000, "mutations took longer than 20 s");
      assert.ok(failures > 0, "no mutation was refused: the mutations did not reach the parsers");
    });
  }
});
