import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { grypeReport, trivyReport } from "./generate-reports.js";
import { interleavedMedians } from "./timing.js";

// Ingestion benchmark: a 10 MB Trivy and Grype report read into normalized findings, time as a ratio to
// JSON.parse of the same text (target <= 1.5) and peak memory growth as a ratio to the file size (target <= 3),
// measured on the built package.
const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const { readReport } = (await import(
  pathToFileURL(join(root, "dist/ingest/read-report.js")).href
)) as typeof import("../src/ingest/read-report.js");
const SIZE = 10 * 1024 * 1024;
const dir = mkdtempSync(join(tmpdir(), "cipolice-bench-"));

function peakGrowth(file: string, mode: "ingest" | "parse"): number {
  const child = spawnSync(
    process.execPath,
    ["--max-semi-space-size=32", "--import", "tsx", join(root, "bench/ingest-child.ts"), root, file, mode],
    { encoding: "utf8" },
  );
  if (child.status !== 0) throw new Error(child.stderr);
  const { before, peak } = JSON.parse(child.stdout) as { before: number; peak: number };
  return Math.max(0, peak - before);
}

console.log(
  "report         size      JSON.parse   ingest    ratio (<= 1.5)   findings   peak memory / size (<= 3)   JSON.parse alone",
);
for (const [name, make] of [
  ["Trivy v2", trivyReport],
  ["Grype", grypeReport],
] as const) {
  const text = make(SIZE);
  const file = join(dir, `${name.split(" ")[0]?.toLowerCase()}.json`);
  writeFileSync(file, text);
  let findings = 0;
  const [parseMs, ingestMs] = interleavedMedians(
    () => JSON.parse(text),
    () => {
      findings = readReport(text, file).vulnerabilities?.length ?? 0;
    },
  );
  const memory = peakGrowth(file, "ingest") / text.length;
  const parseMemory = peakGrowth(file, "parse") / text.length;
  const ratio = ingestMs / parseMs;
  console.log(
    `${name.padEnd(12)} ${(text.length / 1e6).toFixed(1).padStart(5)} MB ${parseMs.toFixed(1).padStart(9)} ms ${ingestMs.toFixed(1).padStart(7)} ms ${ratio.toFixed(2).padStart(7)}x ${ratio <= 1.5 ? "(ok)  " : "(over)"} ${String(findings).padStart(9)} ${memory.toFixed(2).padStart(14)}x ${memory <= 3 ? "(ok)" : "(over)"} ${parseMemory.toFixed(2).padStart(20)}x`,
  );
}
