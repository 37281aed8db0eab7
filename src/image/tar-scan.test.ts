import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { createWriteStream, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { finished } from "node:stream/promises";
import { after, describe, it } from "node:test";
import { createGzip, gzipSync } from "node:zlib";
import { TAR_END, tarArchive, tarHeader } from "../../test/support/tar-builder.js";
import { CipError } from "../model/index.js";
import {
  type ArchiveLimits,
  archiveLimits,
  DEFAULT_MAX_ARCHIVE_ENTRIES,
  defaultMaxArchiveBytes,
  defaultMaxDecompressedBytes,
} from "./archive-limits.js";
import { scanTar, type TarScan } from "./tar-scan.js";

const scratch = mkdtempSync(join(tmpdir(), "cip-tar-scan-"));
after(() => rmSync(scratch, { recursive: true, force: true }));
const LABEL = { what: "test archive", formatHint: "Give a tar." };
const MiB = 1024 * 1024;

/** Scans a file, listing its entries' paths. */
async function scan(
  file: string,
  given: Partial<ArchiveLimits> = {},
): Promise<{ paths: string[]; scan: TarScan }> {
  const paths: string[] = [];
  const result = await scanTar(file, LABEL, archiveLimits(given), (entry) => {
    paths.push(entry.path);
    entry.resume();
  });
  return { paths, scan: result };
}

async function refuses(
  promise: Promise<unknown>,
  code: string,
  pattern: RegExp,
  hint?: RegExp,
): Promise<void> {
  await assert.rejects(promise, (error: CipError) => {
    assert.ok(error instanceof CipError, String(error));
    assert.equal(error.code, code, error.message);
    assert.match(error.message, /^Cannot read test archive: /);
    assert.match(error.message, pattern);
    if (hint) assert.match(error.hint ?? "", hint);
    return true;
  });
}

/** Milliseconds fn takes. */
async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** A tar of one entry of `size` zero bytes, written in pieces (gzip-compressed when asked). */
async function zeroEntryTar(name: string, size: number, gzip = false): Promise<string> {
  const file = join(scratch, name);
  const out = createWriteStream(file);
  const sink = gzip ? createGzip({ level: 1 }) : undefined;
  sink?.pipe(out);
  const target = sink ?? out;
  target.write(tarHeader({ path: "zeros", size }));
  const block = Buffer.alloc(MiB);
  for (let left = size; left > 0; left -= block.length) {
    if (!target.write(block.subarray(0, Math.min(left, block.length)))) {
      await new Promise<void>((resolve) => target.once("drain", () => resolve()));
    }
  }
  target.end(TAR_END);
  await finished(out);
  return file;
}

const three = tarArchive([
  { path: "a.txt", content: "a" },
  { path: "dir/", type: "dir" },
  { path: "dir/b.json", content: '{"b":1}' },
]);

describe("scanTar", () => {
  it("reads every entry of a tar, plain or gzip-compressed, and says what it read", async () => {
    const plain = join(scratch, "three.tar");
    writeFileSync(plain, three);
    const gz = join(scratch, "three.tar.gz");
    writeFileSync(gz, gzipSync(three));
    for (const [file, gzip] of [
      [plain, false],
      [gz, true],
    ] as const) {
      const { paths, scan: result } = await scan(file);
      assert.deepEqual(paths, ["a.txt", "dir/", "dir/b.json"]);
      assert.equal(result.gzip, gzip);
      assert.equal(result.entries, 3);
      assert.equal(result.tarBytes, three.length);
    }
  });

  it("ends 40 MB of zeros at once, plain and gzip-compressed (node-tar alone: 8 s and 31 s)", async () => {
    const zeros = Buffer.alloc(40_000_000);
    const plain = join(scratch, "zeros.tar");
    writeFileSync(plain, zeros);
    const gz = join(scratch, "zeros.tar.gz");
    writeFileSync(gz, gzipSync(zeros, { level: 9 }));
    for (const file of [plain, gz, "/dev/zero"]) {
      const ms = await timed(() =>
        refuses(
          scan(file),
          "CIP_IMAGE_INVALID",
          /it is not a valid (gzip-compressed )?tar file/,
          /Give a tar/,
        ),
      );
      assert.ok(ms < 1000, `${file} took ${ms} ms`);
    }
  });

  it("stops at the end-of-archive marker: 100 MB of zeros after it are not read", async () => {
    const file = join(scratch, "trailing.tar");
    writeFileSync(file, Buffer.concat([three, Buffer.alloc(100_000_000)]));
    let result: TarScan | undefined;
    const ms = await timed(async () => {
      result = (await scan(file)).scan;
    });
    assert.equal(result?.entries, 3);
    assert.ok(
      (result?.archiveBytes ?? Number.POSITIVE_INFINITY) < 4 * MiB,
      `read ${result?.archiveBytes} bytes`,
    );
    assert.ok(ms < 1000, `took ${ms} ms`);
  });

  it("takes time linear in the content: 4 times the bytes, about 4 times the time", async () => {
    const small = await zeroEntryTar("small.tar", 32 * MiB);
    const large = await zeroEntryTar("large.tar", 128 * MiB);
    await scan(small);
    const smallMs = Math.min(await timed(() => scan(small)), await timed(() => scan(small)));
    const largeMs = Math.min(await timed(() => scan(large)), await timed(() => scan(large)));
    // Quadratic would be 16 times; allow for timer noise on a loaded machine
    assert.ok(largeMs < 8 * smallMs + 100, `32 MiB: ${smallMs} ms, 128 MiB: ${largeMs} ms`);
  });

  it("refuses a gzip bomb past the decompressed size limit, giving the numbers and the flag", async () => {
    const bomb = await zeroEntryTar("bomb.tar.gz", 256 * MiB, true);
    const ms = await timed(() =>
      refuses(
        scan(bomb, { maxDecompressedBytes: 32 * MiB }),
        "CIP_DECOMPRESSION_LIMIT",
        /its tar stream is over the 32 MiB decompressed size limit \(stopped after \d{8} bytes, expanded from \d+ compressed bytes\) \(.*bomb\.tar\.gz\)$/,
        /--max-decompressed-size/,
      ),
    );
    assert.ok(ms < 2000, `took ${ms} ms`);
    // The same bound holds for a plain tar's stream
    const plain = await zeroEntryTar("plain-bomb.tar", 40 * MiB);
    await refuses(
      scan(plain, { maxDecompressedBytes: 8 * MiB }),
      "CIP_DECOMPRESSION_LIMIT",
      /over the 8 MiB decompressed size limit \(stopped after \d+ bytes\)/,
    );
  });

  it("refuses more entries than the limit, and takes exactly as many", async () => {
    const entries = (n: number) => Array.from({ length: n }, (_, i) => ({ path: `f${i}`, content: "x" }));
    const file = join(scratch, "many.tar");
    writeFileSync(file, tarArchive(entries(101)));
    await refuses(
      scan(file, { maxEntries: 100 }),
      "CIP_DECOMPRESSION_LIMIT",
      /it has more than 100 entries, the archive entry limit \(stopped at entry 101, after \d+ bytes of tar\)/,
      /--max-archive-entries/,
    );
    writeFileSync(file, tarArchive(entries(100)));
    assert.equal((await scan(file, { maxEntries: 100 })).scan.entries, 100);
  });

  it("refuses an archive over its size limit: a file by its size, a pipe as it is read", async () => {
    const file = await zeroEntryTar("sized.tar", 4 * MiB);
    await refuses(
      scan(file, { maxArchiveBytes: MiB }),
      "CIP_INPUT_TOO_LARGE",
      /it is 4\.2 MB, over the 1 MiB archive size limit/,
      /--max-archive-size/,
    );
    const fifo = join(scratch, "archive.fifo");
    execFileSync("mkfifo", [fifo]);
    spawn("sh", ["-c", `cat '${file}' > '${fifo}'`], { stdio: "ignore" }).unref();
    await refuses(
      scan(fifo, { maxArchiveBytes: MiB }),
      "CIP_INPUT_TOO_LARGE",
      /it is over the 1 MiB archive size limit \(stopped reading after \d+ bytes\)/,
    );
  });

  it("reads a tar from a pipe", async () => {
    const fifo = join(scratch, "three.fifo");
    execFileSync("mkfifo", [fifo]);
    spawn("sh", ["-c", `gzip -c > '${fifo}'`], { stdio: ["pipe", "ignore", "ignore"] }).stdin?.end(three);
    const { paths, scan: result } = await scan(fifo);
    assert.deepEqual(paths, ["a.txt", "dir/", "dir/b.json"]);
    assert.equal(result.gzip, true);
  });

  it("refuses zstd, gzip inside gzip, truncated and garbage input as not a tar it reads", async () => {
    const cases: [string, Buffer, RegExp][] = [
      ["zstd.tar.zst", Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0, 0, 0, 0]), /it is zstd-compressed/],
      ["twice.tar.gz", gzipSync(gzipSync(three)), /it is gzip-compressed twice/],
      ["truncated.tar", three.subarray(0, 700), /not a valid tar file: .*Truncated input/],
      ["garbage.tar", Buffer.from("not a tar\n".repeat(200)), /not a valid tar file/],
      ["empty.tar", Buffer.alloc(0), /not a valid tar file/],
    ];
    for (const [name, bytes, pattern] of cases) {
      const file = join(scratch, name);
      writeFileSync(file, bytes);
      await refuses(scan(file), "CIP_IMAGE_INVALID", pattern);
    }
    await refuses(scan(join(scratch, "missing.tar")), "CIP_FILE_READ", /missing\.tar/);
    await refuses(scan(scratch), "CIP_FILE_READ", /it is a directory/);
  });

  it("ends with the error a handler throws or fails with from an entry's data", async () => {
    const file = join(scratch, "handler.tar");
    writeFileSync(file, three);
    const mine = new CipError("CIP_IMAGE_INVALID", "Cannot read test archive: handler said no");
    await assert.rejects(
      scanTar(file, LABEL, archiveLimits(), (entry) => {
        if (entry.path === "dir/") throw mine;
        entry.resume();
      }),
      (error) => error === mine,
    );
    await assert.rejects(
      scanTar(file, LABEL, archiveLimits(), (entry, fail) => {
        entry.on("data", () => fail(mine));
      }),
      (error) => error === mine,
    );
  });
});

describe("archiveLimits", () => {
  it("defaults to 16 GiB, or 16 times the document limit when that is larger, and 100 000 entries", () => {
    assert.equal(defaultMaxDecompressedBytes(64 * MiB), 16 * 1024 ** 3);
    assert.equal(defaultMaxDecompressedBytes(2 * 1024 ** 3), 32 * 1024 ** 3);
    assert.equal(defaultMaxArchiveBytes(64 * MiB), 16 * 1024 ** 3);
    assert.deepEqual(archiveLimits({ maxEntries: 5 }, 64 * MiB), {
      maxArchiveBytes: 16 * 1024 ** 3,
      maxDecompressedBytes: 16 * 1024 ** 3,
      maxEntries: 5,
    });
    assert.equal(archiveLimits().maxEntries, DEFAULT_MAX_ARCHIVE_ENTRIES);
  });
});
