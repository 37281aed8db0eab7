import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { crc32, deflateRawSync } from "node:zlib";
import { corpusPath, skipWithoutCorpus } from "../../test/support/corpus.js";
import { importOsv } from "./import-osv.js";
import { matchPackages } from "./match-packages.js";
import { openVulnDatabase } from "./vuln-database.js";
import { ZipReader } from "./zip-reader.js";

interface FixtureEntry {
  name: string;
  data: Buffer;
  /** 0 stored, 8 deflate (default). */
  method?: number;
  /** Lie about the uncompressed size in the headers. */
  declaredSize?: number;
  /** Point the central directory at another entry's local header (an overlapping zip bomb). */
  localOffsetOf?: number;
}

/** Writes a zip file the way the spec (APPNOTE) lays it out: local headers and data, central directory, end record. */
function buildZip(
  entries: FixtureEntry[],
  options: { declaredCount?: number; zip64?: boolean } = {},
): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  const offsets: number[] = [];
  let offset = 0;
  for (const entry of entries) {
    const method = entry.method ?? 8;
    const body = method === 8 ? deflateRawSync(entry.data) : entry.data;
    const name = Buffer.from(entry.name, "utf8");
    const size = entry.declaredSize ?? entry.data.length;
    const crc = crc32(entry.data) >>> 0;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x800, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(name.length, 26);
    offsets.push(offset);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x800, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(size, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(
      entry.localOffsetOf === undefined ? offset : (offsets[entry.localOffsetOf] as number),
      42,
    );
    if (entry.localOffsetOf === undefined) {
      locals.push(local, name, body);
      offset += local.length + name.length + body.length;
    }
    centrals.push(central, name);
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  const count = options.declaredCount ?? entries.length;
  end.writeUInt16LE(count, 8);
  end.writeUInt16LE(count, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  if (options.zip64 !== true) return Buffer.concat([...locals, directory, end]);
  // ZIP64 (APPNOTE 4.3.14/4.3.15): the classic record saturates its fields and the 64-bit record holds them.
  const record64 = Buffer.alloc(56);
  record64.writeUInt32LE(0x06064b50, 0);
  record64.writeBigUInt64LE(44n, 4);
  record64.writeBigUInt64LE(BigInt(count), 24);
  record64.writeBigUInt64LE(BigInt(count), 32);
  record64.writeBigUInt64LE(BigInt(directory.length), 40);
  record64.writeBigUInt64LE(BigInt(offset), 48);
  const locator = Buffer.alloc(20);
  locator.writeUInt32LE(0x07064b50, 0);
  locator.writeBigUInt64LE(BigInt(offset + directory.length), 8);
  locator.writeUInt32LE(1, 16);
  end.writeUInt16LE(0xffff, 8);
  end.writeUInt16LE(0xffff, 10);
  end.writeUInt32LE(0xffffffff, 12);
  end.writeUInt32LE(0xffffffff, 16);
  return Buffer.concat([...locals, directory, record64, locator, end]);
}

const work = mkdtempSync(join(tmpdir(), "cipolice-zip-"));
after(() => rmSync(work, { recursive: true, force: true }));

function writeZip(name: string, zip: Buffer): string {
  const path = join(work, name);
  writeFileSync(path, zip);
  return path;
}

async function readAll(path: string, limits = {}): Promise<Map<string, string>> {
  const reader = await ZipReader.open(path, limits);
  try {
    const out = new Map<string, string>();
    for (const entry of reader.entries) out.set(entry.name, (await reader.read(entry)).toString("utf8"));
    return out;
  } finally {
    await reader.close();
  }
}

describe("zip reader", () => {
  it("reads stored and deflated entries", async () => {
    const path = writeZip(
      "plain.zip",
      buildZip([
        { name: "a.json", data: Buffer.from('{"a":1}'), method: 0 },
        { name: "dir/b.json", data: Buffer.from("x".repeat(10_000)) },
      ]),
    );
    const entries = await readAll(path);
    assert.equal(entries.get("a.json"), '{"a":1}');
    assert.equal(entries.get("dir/b.json"), "x".repeat(10_000));
  });

  it("reads the ZIP64 end record that archives of over 65,535 entries need", async () => {
    const path = writeZip(
      "zip64.zip",
      buildZip([{ name: "a.json", data: Buffer.from("{}") }], { zip64: true }),
    );
    assert.equal((await readAll(path)).get("a.json"), "{}");
  });

  it("refuses an entry that inflates beyond its declared size (a zip bomb), without inflating it all", async () => {
    const path = writeZip(
      "bomb.zip",
      buildZip([{ name: "bomb.json", data: Buffer.alloc(64 * 1024 * 1024), declaredSize: 1000 }]),
    );
    await assert.rejects(readAll(path), (error: Error & { code?: string }) => {
      assert.equal(error.code, "CIP_DECOMPRESSION_LIMIT");
      assert.match(error.message, /bomb\.zip!bomb\.json/);
      assert.match(error.message, /beyond its declared 1000 bytes/);
      return true;
    });
  });

  it("refuses entries declared larger than the limits before reading them", async () => {
    const big = writeZip("big.zip", buildZip([{ name: "big.json", data: Buffer.alloc(2 * 1024 * 1024) }]));
    await assert.rejects(ZipReader.open(big, { maxEntryBytes: 1024 * 1024 }), /over the 1048576-byte limit/);
    await assert.rejects(ZipReader.open(big, { maxTotalBytes: 1024 * 1024 }), {
      code: "CIP_DECOMPRESSION_LIMIT",
    });
    await assert.rejects(ZipReader.open(big, { maxRatio: 10 }), /expands \d+ times/);
  });

  it("refuses overlapping entries, too many entries and a directory that lists more than it holds", async () => {
    const data = Buffer.from("{}");
    const overlap = writeZip(
      "overlap.zip",
      buildZip([
        { name: "a.json", data },
        { name: "b.json", data, localOffsetOf: 0 },
      ]),
    );
    await assert.rejects(ZipReader.open(overlap), /overlap/);
    const many = writeZip(
      "many.zip",
      buildZip(Array.from({ length: 11 }, (_, i) => ({ name: `${i}.json`, data }))),
    );
    await assert.rejects(ZipReader.open(many, { maxEntries: 10 }), /lists 11 entries, over the limit of 10/);
    const lying = writeZip("lying.zip", buildZip([{ name: "a.json", data }], { declaredCount: 50_000 }));
    await assert.rejects(ZipReader.open(lying), { code: "CIP_FILE_READ" });
  });

  it("refuses files that are not zip files, truncated ones and damaged entries", async () => {
    await assert.rejects(
      ZipReader.open(writeZip("text.zip", Buffer.from("not a zip"))),
      /too small|end-of-central/,
    );
    await assert.rejects(
      ZipReader.open(writeZip("garbage.zip", Buffer.alloc(1000, 7))),
      /no end-of-central-directory record/,
    );
    const good = buildZip([{ name: "a.json", data: Buffer.from("hello world, hello world") }]);
    const truncated = writeZip("truncated.zip", good.subarray(10));
    await assert.rejects(ZipReader.open(truncated), { code: "CIP_FILE_READ" });
    const damaged = Buffer.from(good);
    damaged[40] = (damaged[40] as number) ^ 0xff; // inside the deflated data, after the 30-byte header and the name
    await assert.rejects(
      readAll(writeZip("damaged.zip", damaged)),
      /CRC-32|deflate data is damaged|declared/,
    );
    await assert.rejects(ZipReader.open(join(work, "missing.zip")), /ENOENT.*missing\.zip/);
  });

  it("imports OSV records from a zip export as from their directory", {
    skip: skipWithoutCorpus("osv/osv-scanner-offline/PyPI"),
  }, async () => {
    const names = ["PYSEC-2023-62.json", "PYSEC-2023-74.json", "PYSEC-2020-148.json"];
    const zip = writeZip(
      "all.zip",
      buildZip(
        names.map((name) => ({
          name,
          data: readFileSync(corpusPath(`osv/osv-scanner-offline/PyPI/${name}`)),
        })),
      ),
    );
    const dbPath = join(work, "zip.db");
    const summary = await importOsv([zip], dbPath);
    assert.equal(summary.records, 3);
    assert.equal(summary.rejected, 0);
    const db = openVulnDatabase(dbPath);
    try {
      // osv-scanner's snapshot: flask 1.0.0 and requests 2.20.0 are affected (PYSEC-2023-62, PYSEC-2023-74).
      const found = matchPackages(db, [
        { name: "Flask", version: "1.0.0", type: "python" },
        { name: "requests", version: "2.20.0", type: "python" },
      ]);
      assert.deepEqual(found.map((v) => `${v.id} ${v.package.name}`).sort(), [
        "PYSEC-2023-62 Flask",
        "PYSEC-2023-74 requests",
      ]);
    } finally {
      db.close();
    }
  });
});
