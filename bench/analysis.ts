import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { imageToolsMissing } from "../test/e2e/support/images.js";
import { interleavedMediansAsync } from "./timing.js";

// Analysis benchmark (issue 14). 1) Layer analysis of a ~100 MB image from an OCI layout, as a ratio to
// `gzip -dc` of its layer in the same run (the floor: every byte must be decompressed once; target <= 2x), and
// the peak memory of a fresh `cipolice facts --analyze`. 2) Matching 1,000 packages against a 50,000-record
// OSV database after its import (target <= 100 ms). Knobs: BENCH_ANALYSIS_MB (100), BENCH_OSV_RECORDS (50000).
const MB = Number(process.env.BENCH_ANALYSIS_MB ?? 100);
const RECORDS = Number(process.env.BENCH_OSV_RECORDS ?? 50_000);
const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const dist = (path: string) => pathToFileURL(join(root, "dist", path)).href;
const missing = imageToolsMissing();
if (missing) {
  console.log(`skipped analysis benchmark: ${missing}`);
  process.exit(0);
}
const { analyseLayers } = (await import(
  dist("analysis/layers/analyse-layers.js")
)) as typeof import("../src/analysis/layers/analyse-layers.js");
const { ociLayoutLayers } = (await import(
  dist("image/layer-streams.js")
)) as typeof import("../src/image/layer-streams.js");
const { readOciLayout } = (await import(
  dist("image/oci-layout.js")
)) as typeof import("../src/image/oci-layout.js");
const { importOsv } = (await import(
  dist("vulndb/import-osv.js")
)) as typeof import("../src/vulndb/import-osv.js");
const { openVulnDatabase } = (await import(
  dist("vulndb/vuln-database.js")
)) as typeof import("../src/vulndb/vuln-database.js");
const { matchPackages } = (await import(
  dist("vulndb/match-packages.js")
)) as typeof import("../src/vulndb/match-packages.js");

const dir = mkdtempSync(join(tmpdir(), "cipolice-bench-analysis-"));
try {
  // An image of MB megabytes: half incompressible binaries, half text (docs, scripts), a dpkg database of
  // 1,000 packages, an os-release; one layer, built with umoci as the tests build images
  const layout = join(dir, "oci");
  const bundle = join(dir, "bundle");
  execFileSync("umoci", ["init", "--layout", layout]);
  execFileSync("umoci", ["new", "--image", `${layout}:t`]);
  execFileSync("umoci", ["unpack", "--rootless", "--image", `${layout}:t`, bundle]);
  const rootfs = join(bundle, "rootfs");
  const put = (path: string, data: Buffer | string) => {
    mkdirSync(dirname(join(rootfs, path)), { recursive: true });
    writeFileSync(join(rootfs, path), data);
  };
  put("etc/os-release", 'ID=debian\nVERSION_ID="12"\n');
  put(
    "var/lib/dpkg/status",
    Array.from(
      { length: 1000 },
      (_, i) => `Package: pkg${i}\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.${i}-1\n`,
    ).join("\n"),
  );
  const text = "The quick brown fox jumps over the lazy dog; aws_region = us-east-1\n".repeat(1000);
  const half = (MB * 1024 * 1024) / 2;
  for (let i = 0; i * 1024 * 1024 < half; i++) put(`usr/lib/bench/bin${i}.so`, randomBytes(1024 * 1024));
  for (let i = 0; i * text.length < half; i++) put(`usr/share/doc/bench/${i}.txt`, text);
  execFileSync("umoci", ["repack", "--image", `${layout}:t`, bundle]);
  rmSync(bundle, { recursive: true, force: true });
  const image = await readOciLayout(layout, { tag: "t" });
  const blobs = image.layers.map((l) => join(layout, "blobs", "sha256", l.digest.slice("sha256:".length)));
  const gzip = async () => {
    for (const blob of blobs) execFileSync("sh", ["-c", `gzip -dc '${blob}' > /dev/null`]);
  };
  let packages = 0;
  const analyse = async () => {
    const analysis = await analyseLayers(ociLayoutLayers(layout, image.layers));
    packages = analysis.packages.length;
  };
  const [floor, measured] = await interleavedMediansAsync(gzip, analyse, 5, 1);
  if (packages !== 1000) throw new Error(`analysis found ${packages} packages, expected 1000`);
  const peak = spawnSync(
    "/usr/bin/time",
    [
      "-f",
      "%M",
      process.execPath,
      join(root, "bin/cipolice.cjs"),
      "facts",
      `oci:${layout}:t`,
      "--analyze",
      "--db",
      join(dir, "none.db"),
    ],
    { encoding: "utf8" },
  );
  const peakKiB = Number(peak.stderr.trim().split("\n").at(-1));
  console.log(
    `Layer analysis of a ${MB} MB image (OCI layout, ${image.layers.length} layer, 1,000 dpkg packages):`,
  );
  console.log(`  gzip -dc of its layers (the floor)   ${floor.toFixed(0).padStart(6)} ms`);
  console.log(
    `  analysis (library, in this process)  ${measured.toFixed(0).padStart(6)} ms   ratio ${(measured / floor).toFixed(2)}x (target <= 2)`,
  );
  console.log(
    `  peak memory of cipolice facts --analyze (fresh process): ${existsSync("/usr/bin/time") ? `${(peakKiB / 1024).toFixed(0)} MiB` : "n/a"}`,
  );

  // OSV matching: RECORDS synthetic records over four ecosystems, 1,000 packages, a quarter of them affected
  const records = join(dir, "osv");
  mkdirSync(records);
  const ecosystems = [
    { ecosystem: "npm", type: "npm" },
    { ecosystem: "PyPI", type: "python" },
    { ecosystem: "Debian:12", type: "dpkg" },
    { ecosystem: "Alpine:v3.19", type: "apk" },
  ];
  for (let i = 0; i < RECORDS; i++) {
    const e = ecosystems[i % ecosystems.length] as (typeof ecosystems)[number];
    writeFileSync(
      join(records, `BENCH-${i}.json`),
      JSON.stringify({
        id: `BENCH-${i}`,
        modified: "2026-01-01T00:00:00Z",
        aliases: [`CVE-2026-${10000 + i}`],
        affected: [
          {
            package: { ecosystem: e.ecosystem, name: `pkg${i % 5000}` },
            ranges: [{ type: "ECOSYSTEM", events: [{ introduced: "0" }, { fixed: `2.${i % 7}.0` }] }],
            database_specific: { severity: ["LOW", "MODERATE", "HIGH", "CRITICAL"][i % 4] },
          },
        ],
      }),
    );
  }
  const dbPath = join(dir, "osv.db");
  const summary = await importOsv([records], dbPath);
  const db = openVulnDatabase(dbPath, { readonly: true });
  const inventory = Array.from({ length: 1000 }, (_, i) => {
    const e = ecosystems[i % ecosystems.length] as (typeof ecosystems)[number];
    const distro =
      e.type === "dpkg" ? { name: "debian", version: "12" } : { name: "alpine", version: "3.19.1" };
    return { pkg: { name: `pkg${i * 5}`, version: i % 4 === 0 ? "1.0.0" : "9.0.0", type: e.type }, distro };
  });
  // One call per distribution, as an analysed image's inventory is matched
  const groups = new Map<
    string,
    { distro: (typeof inventory)[number]["distro"]; pkgs: (typeof inventory)[number]["pkg"][] }
  >();
  for (const { pkg, distro } of inventory) {
    const group = groups.get(distro.name) ?? { distro, pkgs: [] };
    group.pkgs.push(pkg);
    groups.set(distro.name, group);
  }
  const match = () => {
    let found = 0;
    for (const { distro, pkgs } of groups.values()) found += matchPackages(db, pkgs, distro).length;
    return found;
  };
  const first = performance.now();
  const found = match();
  const firstMs = performance.now() - first;
  const warm: number[] = [];
  for (let r = 0; r < 7; r++) {
    const start = performance.now();
    match();
    warm.push(performance.now() - start);
  }
  warm.sort((a, b) => a - b);
  db.close();
  console.log(
    `OSV matching: ${RECORDS.toLocaleString("en")} records imported in ${summary.seconds.toFixed(1)} s (${Math.round(summary.recordsPerSecond).toLocaleString("en")}/s); 1,000 packages matched (${found} findings):`,
  );
  console.log(
    `  first match after the import ${firstMs.toFixed(0)} ms, then ${(warm[3] as number).toFixed(0)} ms median (target <= 100 ms)`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
