import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { gzipSync } from "node:zlib";
import { type MeasuredRun, runCliMeasured } from "../support/measured-run.js";
import { dockerSaveEntries, TAR_END, tarArchive, tarHeader } from "../support/tar-builder.js";

// Every input is read bounded: devices, pipes and archives that never end, or expand without end, are
// refused quickly, with the file and the limit named, and memory stays near the limit.
const scratch = mkdtempSync(join(tmpdir(), "cip-hostile-"));
after(() => rmSync(scratch, { recursive: true, force: true }));
const MiB = 1024 * 1024;
/** Wall time allowed for a refusal, start-up of node and tsx included. */
const FAST_MS = 5000;
const FACTS = "examples/webapp.facts.json";
let baseline = 0;

before(() => {
  // What a check costs that refuses a small input: the memory every refusal below is compared with
  const run = runCliMeasured(["check", "x/y:1", "--report", FACTS]);
  assert.ok(run.peakBytes > 0, "peak memory is measured");
  baseline = run.peakBytes;
});

/** Runs the CLI measured, and checks the refusal: exit 2, the error line, fast, and memory within `growth`. */
function refused(
  args: string[],
  expected: RegExp,
  growth: number,
  options: { stdinFrom?: string; output?: "stderr" | "stdout" } = {},
): MeasuredRun {
  const run = runCliMeasured(args, options.stdinFrom !== undefined ? { stdinFrom: options.stdinFrom } : {});
  const label = `cipolice ${args.join(" ")}`;
  assert.equal(run.status, 2, `${label}: ${run.stderr}`);
  assert.match(run[options.output ?? "stderr"], expected, label);
  assert.doesNotMatch(run.stderr, /CIP_INTERNAL|^\s+at /m, `${label}: no internal error or stack trace`);
  assert.ok(run.ms < FAST_MS, `${label} took ${run.ms.toFixed(0)} ms`);
  const grew = run.peakBytes - baseline;
  assert.ok(
    grew < growth,
    `${label} grew ${(grew / MiB).toFixed(0)} MiB over the baseline, more than ${growth / MiB}`,
  );
  return run;
}

/** Memory a refusal of an endless input may add: the limit, and slack for the parts loaded to reach it. */
const within = (limit: number) => limit + 48 * MiB;
/** Memory reading an archive may add, whatever its size: stream buffers and the tar module, never the data. */
const STREAMING = 48 * MiB;

describe("documents that never end are refused at --max-input-size", () => {
  test("--report /dev/zero: the 64 MiB default limit, named with the file", () => {
    refused(
      ["check", "x/y:1", "--report", "/dev/zero"],
      /cipolice: error CIP_INPUT_TOO_LARGE: Cannot read report \/dev\/zero: it is over the 64 MiB input limit \(stopped reading after 67108865 bytes\)\n {2}hint: Raise the limit with --max-input-size/,
      within(64 * MiB),
    );
  });

  test("--facts /dev/urandom", () => {
    refused(
      ["check", "x/y:1", "--facts", "/dev/urandom", "--max-input-size", "16MiB"],
      /CIP_INPUT_TOO_LARGE: Cannot read facts \/dev\/urandom: it is over the 16 MiB input limit/,
      within(16 * MiB),
    );
  });

  test("--policy, --whitelist and --vex of /dev/zero", () => {
    for (const [args, what] of [
      [["--policy", "/dev/zero"], "policy bundle"],
      [["--whitelist", "/dev/zero"], "whitelist"],
      [["--facts", FACTS, "--vex", "/dev/zero"], "VEX document"],
    ] as const) {
      refused(
        ["check", "x/y:1", ...args, "--max-input-size", "16MiB"],
        new RegExp(`CIP_INPUT_TOO_LARGE: Cannot read ${what} /dev/zero: it is over the 16 MiB input limit`),
        within(16 * MiB),
      );
    }
  });

  test("policy validate /dev/zero says the file is unreadable", () => {
    refused(
      ["policy", "validate", "/dev/zero", "--max-input-size", "16MiB"],
      /^\/dev\/zero: unreadable: Cannot read policy bundle \/dev\/zero: it is over the 16 MiB input limit/,
      within(16 * MiB),
      { output: "stdout" },
    );
  });

  test("--facts - fed from an endless pipe", () => {
    refused(
      ["check", "x/y:1", "--facts", "-", "--max-input-size", "16MiB"],
      /CIP_INPUT_TOO_LARGE: Cannot read facts standard input: it is over the 16 MiB input limit \(stopped reading after 16777217 bytes\)/,
      within(16 * MiB),
      { stdinFrom: "cat /dev/zero" },
    );
  });

  test("a sparse file of 100 GiB is refused from its size, without reading it", () => {
    const sparse = join(scratch, "sparse.json");
    writeFileSync(sparse, "");
    truncateSync(sparse, 100 * 1024 ** 3);
    refused(
      ["check", "x/y:1", "--report", sparse],
      /CIP_INPUT_TOO_LARGE: Cannot read report .*sparse\.json: it is 100 GiB, over the 64 MiB input limit\n/,
      16 * MiB,
    );
  });

  test("--dockerfile /dev/zero and --ca-file /dev/zero", () => {
    const archive = join(scratch, "image.tar");
    writeFileSync(archive, tarArchive(dockerSaveEntries()));
    refused(
      ["check", `docker-archive:${archive}`, "--dockerfile", "/dev/zero", "--max-input-size", "16MiB"],
      /CIP_INPUT_TOO_LARGE: Cannot read Dockerfile \/dev\/zero: it is over the 16 MiB input limit/,
      within(16 * MiB),
    );
    // The CA file is read as the registry client is made, before any connection
    refused(
      ["facts", "127.0.0.1:9/x:1", "--ca-file", "/dev/zero"],
      /CIP_INPUT_TOO_LARGE: Cannot read the CA file \/dev\/zero: it is over the 16 MiB CA file limit/,
      within(16 * MiB),
    );
  });
});

describe("image layouts and archives are read bounded", () => {
  test("an OCI layout whose index.json links to /dev/zero", () => {
    const layout = join(scratch, "layout");
    mkdirSync(layout);
    writeFileSync(join(layout, "oci-layout"), '{"imageLayoutVersion":"1.0.0"}');
    symlinkSync("/dev/zero", join(layout, "index.json"));
    refused(
      ["check", `oci:${layout}`],
      /CIP_FILE_READ: Cannot read the layout's index\.json: it is a character device, not a regular file \(.*index\.json\)/,
      16 * MiB,
    );
  });

  test("a docker-archive of 100 MB of zeros, plain, gzip-compressed, or /dev/zero itself", () => {
    const zeros = Buffer.alloc(100_000_000);
    const plain = join(scratch, "zeros.tar");
    writeFileSync(plain, zeros);
    const gz = join(scratch, "zeros.tar.gz");
    writeFileSync(gz, gzipSync(zeros, { level: 9 }));
    for (const [file, kind] of [
      [plain, ""],
      [gz, "gzip-compressed "],
      ["/dev/zero", ""],
    ] as const) {
      refused(
        ["check", `docker-archive:${file}`],
        new RegExp(`CIP_IMAGE_INVALID: Cannot read docker archive: it is not a valid ${kind}tar file`),
        STREAMING,
      );
    }
  });

  test("a tar with more entries than --max-archive-entries", () => {
    const many = Array.from({ length: 150 }, (_, i) => ({ path: `junk/${i}`, content: "x" }));
    const file = join(scratch, "many.tar");
    writeFileSync(file, tarArchive(dockerSaveEntries("hostile/test:1", many)));
    refused(
      ["facts", `docker-archive:${file}`, "--max-archive-entries", "100"],
      /CIP_DECOMPRESSION_LIMIT: Cannot read docker archive: it has more than 100 entries, the archive entry limit \(stopped at entry 101, after \d+ bytes of tar\) \(.*many\.tar\)\n {2}hint: Raise the limit with --max-archive-entries/,
      STREAMING,
    );
  });

  test("a gzip bomb past --max-decompressed-size, and an archive over --max-archive-size", () => {
    const size = 512 * MiB;
    const bomb = join(scratch, "bomb.tar.gz");
    // Compressed in one piece: the test holds the 512 MiB briefly, the CLI must not
    writeFileSync(
      bomb,
      gzipSync(Buffer.concat([tarHeader({ path: "zeros", size }), Buffer.alloc(size), TAR_END])),
    );
    refused(
      ["check", `docker-archive:${bomb}`, "--max-decompressed-size", "64MiB"],
      /CIP_DECOMPRESSION_LIMIT: Cannot read docker archive: its tar stream is over the 64 MiB decompressed size limit \(stopped after \d+ bytes, expanded from \d+ compressed bytes\) \(.*bomb\.tar\.gz\)\n {2}hint: Raise the limit with --max-decompressed-size/,
      STREAMING,
    );
    refused(
      ["check", `docker-archive:${bomb}`, "--max-archive-size", "100kB"],
      /CIP_INPUT_TOO_LARGE: Cannot read docker archive: it is [\d.]+ kB, over the 100\.0 kB archive size limit/,
      STREAMING,
    );
    refused(
      ["check", "x/y:1", "--max-decompressed-size", "lots"],
      /Cannot use --max-decompressed-size "lots"/,
      STREAMING,
    );
  });
});
