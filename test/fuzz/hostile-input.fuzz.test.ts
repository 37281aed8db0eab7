import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { gzipSync } from "node:zlib";
import { readDockerArchive } from "../../src/image/docker-archive.js";
import { type BoundedRead, readBounded, readBoundedSync } from "../../src/io/bounded-read.js";
import { isCipError } from "../../src/model/index.js";
import { CORPUS_ROOT } from "../support/corpus.js";
import { seededRandom } from "../support/fuzz.js";
import { dockerSaveEntries, tarArchive } from "../support/tar-builder.js";

// Random, truncated and mutated inputs to the bounded reader and the docker-archive reader: each gives
// its bytes, an image, or a CipError saying what it could not do; never another exception, never a hang.
const scratch = mkdtempSync(join(tmpdir(), "cip-fuzz-hostile-"));
after(() => rmSync(scratch, { recursive: true, force: true }));
/** Longest one archive may take: far more than any of them needs, far less than a hang. */
const PER_CASE_MS = 5000;

function randomBytes(rnd: () => number, length: number): Buffer {
  const bytes = Buffer.alloc(length);
  for (let i = 0; i < length; i++) bytes[i] = Math.floor(rnd() * 256);
  return bytes;
}

test("bounded reader: random files and limits give the exact bytes or a refusal naming the limit", async () => {
  const rnd = seededRandom(11);
  const file = join(scratch, "random.bin");
  for (let i = 0; i < 300; i++) {
    const size = Math.floor(rnd() ** 3 * 300_000);
    const limit = Math.floor(rnd() * 2 * size);
    const content = randomBytes(rnd, Math.min(size, 4096));
    writeFileSync(file, Buffer.concat([content, Buffer.alloc(size - content.length, i % 256)]));
    const spec: BoundedRead = {
      maxBytes: limit,
      what: `fuzz file ${i}`,
      limitName: "input",
      limitHint: "raise it",
    };
    for (const read of [() => readBoundedSync(file, spec), () => readBounded(file, spec)]) {
      try {
        const bytes = await read();
        assert.ok(size <= limit, `iteration ${i}: read ${size} bytes over the limit ${limit}`);
        assert.equal(bytes.length, size);
        assert.deepEqual(bytes.subarray(0, content.length), content);
      } catch (error) {
        assert.ok(isCipError(error), `iteration ${i}: threw ${(error as Error)?.stack ?? String(error)}`);
        assert.equal(error.code, "CIP_INPUT_TOO_LARGE", error.message);
        assert.ok(size > limit, `iteration ${i}: refused ${size} bytes under the limit ${limit}`);
        assert.match(
          error.message,
          new RegExp(`^Cannot read fuzz file ${i}: it is .*over the .* input limit`),
        );
      }
    }
  }
});

/** Archives to mutate: hand-built docker save archives, and the corpus's when it is there. */
function seeds(): Buffer[] {
  const built = tarArchive(
    dockerSaveEntries("fuzz/image:1", [
      { path: "links/", type: "dir" },
      { path: "links/manifest", type: "symlink", linkpath: "../manifest.json" },
      { path: "hard", type: "hardlink", linkpath: "manifest.json" },
    ]),
  );
  const corpus = join(CORPUS_ROOT, "images/docker-save");
  const fromCorpus = existsSync(corpus)
    ? readdirSync(corpus)
        .filter((f) => f.endsWith(".tar"))
        .map((f) => readFileSync(join(corpus, f)))
    : [];
  return [built, ...fromCorpus];
}

/** One random change: truncation, flipped bytes, zeroed or random runs, a repeated block, or compression. */
function mutateArchive(seed: Buffer, rnd: () => number): Buffer {
  let bytes = Buffer.from(seed);
  const at = () => Math.floor(rnd() * bytes.length);
  const changes = 1 + Math.floor(rnd() * 3);
  for (let c = 0; c < changes; c++) {
    const kind = Math.floor(rnd() * 7);
    if (kind === 0) bytes = bytes.subarray(0, at());
    else if (kind === 1)
      for (let n = Math.floor(rnd() * 8) + 1; n > 0; n--) bytes[at()] = Math.floor(rnd() * 256);
    else if (kind === 2) {
      const start = at();
      bytes.fill(0, start, Math.min(bytes.length, start + Math.floor(rnd() * 2048)));
    } else if (kind === 3) {
      const start = at();
      randomBytes(rnd, Math.floor(rnd() * 600)).copy(bytes, start);
    } else if (kind === 4) {
      // A header block repeated elsewhere: duplicate entries, entries inside entries
      const from = Math.floor(at() / 512) * 512;
      const to = Math.floor(at() / 512) * 512;
      bytes = Buffer.concat([bytes.subarray(0, to), bytes.subarray(from, from + 512), bytes.subarray(to)]);
    } else if (kind === 5) bytes = Buffer.concat([bytes, randomBytes(rnd, Math.floor(rnd() * 4096))]);
    else bytes = gzipSync(bytes);
  }
  // Sometimes a damaged gzip: the mutation applied after compression
  if (rnd() < 0.15) {
    bytes = gzipSync(bytes);
    bytes[Math.floor(rnd() * bytes.length)] = Math.floor(rnd() * 256);
  }
  return bytes;
}

test("docker-archive reader: mutated archives give an image or a CipError, quickly", async () => {
  const rnd = seededRandom(12);
  const inputs = seeds();
  const file = join(scratch, "fuzz.tar");
  const started = Date.now();
  let images = 0;
  for (let i = 0; i < 600; i++) {
    const seed = inputs[i % inputs.length] as Buffer;
    const bytes = rnd() < 0.05 ? randomBytes(rnd, Math.floor(rnd() * 8192)) : mutateArchive(seed, rnd);
    writeFileSync(file, bytes);
    // Small limits now and then, so the refusals themselves are fuzzed too
    const limits =
      rnd() < 0.3
        ? {
            maxEntries: 1 + Math.floor(rnd() * 10),
            maxDecompressedBytes: Math.floor(rnd() * 8192),
            maxArchiveBytes: Math.floor(rnd() * 65536),
          }
        : {};
    const label = `iteration ${i} (${bytes.length} bytes)`;
    let timer: NodeJS.Timeout | undefined;
    const hang = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`${label}: no answer within ${PER_CASE_MS} ms`)),
        PER_CASE_MS,
      );
    });
    try {
      const tag = rnd() < 0.5 ? {} : { tag: "@0" };
      await Promise.race([readDockerArchive(file, { ...tag, limits, maxEntryBytes: 4096 }), hang]);
      images++;
    } catch (error) {
      if (!isCipError(error)) writeFileSync(join(tmpdir(), "cip-fuzz-failure.tar"), bytes);
      assert.ok(isCipError(error), `${label}: threw ${(error as Error)?.stack ?? String(error)}`);
      assert.match(error.message, /^Cannot /, label);
    } finally {
      clearTimeout(timer);
    }
  }
  // Mutations that miss the parts read still give images: the run did exercise both outcomes
  assert.ok(images > 0, "some mutated archives still read");
  assert.ok(Date.now() - started < 120_000, `the fuzz run took ${Date.now() - started} ms`);
});
