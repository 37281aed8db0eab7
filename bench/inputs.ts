import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  cpSync,
  createReadStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { createGunzip, gzipSync } from "node:zlib";
import { trivyReport } from "./generate-reports.js";
import { interleavedMedians, interleavedMediansAsync } from "./timing.js";

// Bounded input benchmark, on the built package (dist/):
// 1. readInputFile of a 10 MB report, read in bounded chunks, against what it did before the bound
//    (statSync, readFileSync, decode), interleaved; target: at most 1.05.
// 2. readDockerArchive of a real image (one layer of this repository's node_modules, written by umoci and
//    skopeo as `docker save` would), plain and gzip-compressed, against the floor of reading and hashing
//    every byte of the same file (stream + sha256; gunzip + sha256). Before the archive was bounded
//    (node-tar fed by one pipeline, no end-of-archive stop) the ratios were 1.84-1.95 plain and
//    1.52-1.58 gzip-compressed, on the machine this was written on; after, 1.00-1.09 and 0.97-0.99.
//    Target: at most 1.2 for both; the old cost was far above the floor, so the bound sits near the floor.
const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const fromDist = async <T>(path: string): Promise<T> =>
  (await import(pathToFileURL(join(root, "dist", path)).href)) as T;
const { readInputFile, decodeText } =
  await fromDist<typeof import("../src/cli/read-input.js")>("cli/read-input.js");
const { readDockerArchive } =
  await fromDist<typeof import("../src/image/docker-archive.js")>("image/docker-archive.js");

const dir = mkdtempSync(join(tmpdir(), "cipolice-bench-inputs-"));
try {
  const report = join(dir, "trivy.json");
  writeFileSync(report, trivyReport(10 * 1024 * 1024));
  const limit = 64 * 1024 * 1024;
  // What readInputFile did before it read in bounded chunks
  const before = (path: string) => {
    if (statSync(path).size > limit) throw new Error("too large");
    return decodeText(readFileSync(path));
  };
  const [beforeMs, boundedMs] = interleavedMedians(
    () => before(report),
    () => readInputFile(report, "report", limit),
    41,
    5,
  );
  const inputRatio = boundedMs / beforeMs;
  console.log(
    `report ${(statSync(report).size / 1e6).toFixed(1)} MB: readFileSync ${beforeMs.toFixed(2)} ms, bounded ${boundedMs.toFixed(2)} ms, ratio ${inputRatio.toFixed(3)}x ${inputRatio <= 1.05 ? "(ok, <= 1.05)" : "(over 1.05)"}`,
  );

  const archive = buildArchive(dir);
  if (archive === undefined) {
    console.log("skipped archive benchmark: umoci and skopeo are needed to write a real image");
  } else {
    const gz = `${archive}.gz`;
    writeFileSync(gz, gzipSync(readFileSync(archive), { level: 6 }));
    for (const [name, file, gzip, target] of [
      ["docker-archive (plain)", archive, false, 1.2],
      ["docker-archive (gzip)", gz, true, 1.2],
    ] as const) {
      const [floorMs, readMs] = await interleavedMediansAsync(
        () => hashEveryByte(file, gzip),
        () => readDockerArchive(file),
      );
      const ratio = readMs / floorMs;
      console.log(
        `${name.padEnd(23)} ${(statSync(file).size / 1e6).toFixed(0).padStart(4)} MB: floor (read${gzip ? ", gunzip" : ""}, sha256) ${floorMs.toFixed(0)} ms, readDockerArchive ${readMs.toFixed(0)} ms, ratio ${ratio.toFixed(2)}x ${ratio <= target ? `(ok, <= ${target})` : `(over ${target})`}`,
      );
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

/** Reads every byte of the file, gunzipped when asked, into sha256: what any reader of it must do. */
async function hashEveryByte(file: string, gzip: boolean): Promise<string> {
  const hash = createHash("sha256");
  const source = createReadStream(file);
  for await (const chunk of gzip ? source.pipe(createGunzip({ chunkSize: 64 * 1024 })) : source) {
    hash.update(chunk as Buffer);
  }
  return hash.digest("hex");
}

/** A docker-archive of an image whose layer holds this repository's node_modules, or undefined without the tools. */
function buildArchive(work: string): string | undefined {
  if (!existsSync("/usr/bin/umoci") || !existsSync("/usr/bin/skopeo")) return undefined;
  const layout = join(work, "oci");
  const bundle = join(work, "bundle");
  const archive = join(work, "image.tar");
  execFileSync("umoci", ["init", "--layout", layout]);
  execFileSync("umoci", ["new", "--image", `${layout}:bench`]);
  execFileSync("umoci", ["unpack", "--rootless", "--image", `${layout}:bench`, bundle]);
  mkdirSync(join(bundle, "rootfs/app"), { recursive: true });
  cpSync(join(root, "node_modules"), join(bundle, "rootfs/app/node_modules"), { recursive: true });
  execFileSync("umoci", ["repack", "--image", `${layout}:bench`, bundle]);
  execFileSync("skopeo", [
    "--insecure-policy",
    "copy",
    "--quiet",
    `oci:${layout}:bench`,
    `docker-archive:${archive}:bench/real:1`,
  ]);
  rmSync(bundle, { recursive: true, force: true });
  return archive;
}
