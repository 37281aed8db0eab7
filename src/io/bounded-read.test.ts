import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { type BoundedRead, readBounded, readBoundedSync } from "./bounded-read.js";

const scratch = mkdtempSync(join(tmpdir(), "cip-bounded-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

const spec = (maxBytes: number, extra: Partial<BoundedRead> = {}): BoundedRead => ({
  maxBytes,
  what: "test input",
  limitName: "input",
  limitHint: "Raise the limit with --max-input-size BYTES.",
  ...extra,
});

/** Both readers on one input: the same bytes, or the same refusal. */
async function readBoth(path: string, s: BoundedRead): Promise<Buffer> {
  const sync = readBoundedSync(path, s);
  const async = await readBounded(path, s);
  assert.deepEqual(async, sync);
  return sync;
}

function refusal(code: string, pattern: RegExp) {
  return (error: { code?: string; message: string; hint?: string }) => {
    assert.equal(error.code, code, error.message);
    assert.match(error.message, /^Cannot read /);
    assert.match(error.message, pattern);
    return true;
  };
}

/** A FIFO in the scratch directory with a child process writing `bytes` into it, then closing it. */
function fifoFed(name: string, bytes: number): string {
  const path = join(scratch, name);
  execFileSync("mkfifo", [path]);
  // head stops at `bytes`; when the reader leaves early it dies of SIGPIPE, which is fine
  const writer = spawn("sh", ["-c", `head -c ${bytes} /dev/zero > '${path}'`], { stdio: "ignore" });
  writer.unref();
  return path;
}

describe("readBoundedSync and readBounded", () => {
  it("read a regular file exactly, at, under and over the limit", async () => {
    for (const size of [0, 1, 4095, 4096, 4097, 100_000]) {
      const file = join(scratch, `exact-${size}`);
      const content = Buffer.alloc(size, 0x61);
      writeFileSync(file, content);
      for (const limit of [size, size + 1, 1 << 20]) {
        assert.deepEqual(await readBoth(file, spec(limit)), content, `size ${size}, limit ${limit}`);
      }
      if (size > 0) {
        assert.throws(
          () => readBoundedSync(file, spec(size - 1)),
          refusal("CIP_INPUT_TOO_LARGE", /test input: it is .+, over the .+ input limit$/),
        );
        await assert.rejects(readBounded(file, spec(size - 1)), refusal("CIP_INPUT_TOO_LARGE", /over the/));
      }
    }
  });

  it("refuses a sparse file larger than the limit from its size, without reading it", async () => {
    const file = join(scratch, "sparse");
    writeFileSync(file, "");
    truncateSync(file, 100 * 1024 ** 3);
    const start = Date.now();
    assert.throws(
      () => readBoundedSync(file, spec(64 * 1024 * 1024)),
      refusal("CIP_INPUT_TOO_LARGE", /it is 100 GiB, over the 64 MiB input limit$/),
    );
    await assert.rejects(readBounded(file, spec(1024)), refusal("CIP_INPUT_TOO_LARGE", /it is 100 GiB/));
    assert.ok(Date.now() - start < 1000, "the size alone decides");
  });

  it("stops reading /dev/zero and /dev/urandom one byte past the limit", async () => {
    for (const device of ["/dev/zero", "/dev/urandom"]) {
      const start = Date.now();
      const pattern = /over the 1 MiB input limit \(stopped reading after 1048577 bytes\) \(here\)$/;
      assert.throws(
        () => readBoundedSync(device, spec(1024 * 1024, { where: "here" })),
        refusal("CIP_INPUT_TOO_LARGE", pattern),
      );
      await assert.rejects(
        readBounded(device, spec(1024 * 1024, { where: "here" })),
        refusal("CIP_INPUT_TOO_LARGE", pattern),
      );
      assert.ok(Date.now() - start < 2000, `${device} took ${Date.now() - start} ms`);
    }
  });

  it("reads a pipe in full under the limit and refuses it over the limit", async () => {
    const small = fifoFed("small.fifo", 300_000);
    assert.equal(readBoundedSync(small, spec(300_000)).length, 300_000);
    const large = fifoFed("large.fifo", 50_000_000);
    assert.throws(
      () => readBoundedSync(large, spec(1_000_000)),
      refusal("CIP_INPUT_TOO_LARGE", /stopped reading after 1000001 bytes/),
    );
    const asyncLarge = fifoFed("async-large.fifo", 50_000_000);
    await assert.rejects(
      readBounded(asyncLarge, spec(1_000_000)),
      refusal("CIP_INPUT_TOO_LARGE", /stopped reading after 1000001 bytes/),
    );
  });

  it("reads a file whose size stat gives as 0 (/proc), finding its real length", async () => {
    const text = (await readBoth("/proc/self/mountinfo", spec(16 * 1024 * 1024))).toString("utf8");
    assert.ok(text.length > 0);
  });

  it("with regularOnly, refuses devices and pipes without reading or waiting for a writer", async () => {
    const link = join(scratch, "index.json");
    symlinkSync("/dev/zero", link);
    const regularOnly = spec(1024, { regularOnly: true, where: link });
    assert.throws(
      () => readBoundedSync(link, regularOnly),
      refusal("CIP_FILE_READ", /it is a character device, not a regular file \(.*index\.json\)$/),
    );
    await assert.rejects(readBounded(link, regularOnly), refusal("CIP_FILE_READ", /character device/));
    // No writer ever opens this FIFO: a blocking open would wait forever
    const fifo = join(scratch, "lonely.fifo");
    execFileSync("mkfifo", [fifo]);
    await assert.rejects(
      readBounded(fifo, regularOnly),
      refusal("CIP_FILE_READ", /a pipe \(FIFO\), not a regular file/),
    );
    assert.throws(() => readBoundedSync(fifo, regularOnly), refusal("CIP_FILE_READ", /a pipe \(FIFO\)/));
  });

  it("names missing files and directories", async () => {
    const missing = join(scratch, "nope.json");
    assert.throws(
      () => readBoundedSync(missing, spec(10)),
      refusal("CIP_FILE_READ", /test input: no such file$/),
    );
    await assert.rejects(
      readBounded(missing, spec(10, { missingHint: "Look elsewhere." })),
      (error: { hint?: string }) => error.hint === "Look elsewhere.",
    );
    const dir = join(scratch, "a-dir");
    mkdirSync(dir);
    assert.throws(() => readBoundedSync(dir, spec(10)), refusal("CIP_FILE_READ", /it is a directory$/));
    await assert.rejects(readBounded(dir, spec(10)), refusal("CIP_FILE_READ", /it is a directory$/));
  });
});
