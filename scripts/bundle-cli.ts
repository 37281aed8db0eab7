/**
 * Bundles the CLI into dist/cli/cipolice.cjs and writes its V8 code cache beside it (run by `npm run build`):
 *   node --import tsx scripts/bundle-cli.ts
 * bin/cipolice.cjs loads that one file: a fresh process then skips resolving and compiling ~200 modules.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const outDir = join(root, "dist/cli");
const outFile = join(outDir, "cipolice.cjs");

mkdirSync(outDir, { recursive: true });
// Old caches name other bundle contents: they would never be read again
for (const name of readdirSync(outDir, { withFileTypes: true })) {
  if (name.isFile() && name.name.startsWith("cipolice.cjs.")) rmSync(join(outDir, name.name));
}
const built = await build({
  entryPoints: [join(root, "src/cli/entry.ts")],
  outfile: outFile,
  write: false,
  bundle: true,
  platform: "node",
  target: "node20",
  format: "cjs",
  // A native addon finds its .node file relative to its own package: it must stay in node_modules
  external: ["better-sqlite3"],
  // Same folder as the compiled dist/cli/*.js, so paths relative to import.meta.url resolve alike
  define: { "import.meta.url": "__cipoliceModuleUrl" },
  banner: { js: 'const __cipoliceModuleUrl = require("node:url").pathToFileURL(__filename).href;' },
  logLevel: "warning",
});
const code = built.outputFiles.find((f) => f.path === outFile)?.text;
if (code === undefined) throw new Error(`esbuild did not produce ${outFile}`);
// The first line names this build: bin/cipolice.cjs reads the code cache made for exactly this text
const buildId = createHash("sha256").update(code).digest("hex").slice(0, 16);
writeFileSync(outFile, `// cipolice-build ${buildId}\n${code}`);
// The cache must be made with the V8 flags the binary runs with (its shebang), or V8 rejects it
const run = spawnSync(
  process.execPath,
  [
    "--max-semi-space-size=32",
    join(root, "bin/cipolice.cjs"),
    "check",
    "--facts",
    join(root, "examples/webapp.facts.json"),
    "--format",
    "json",
  ],
  { env: { ...process.env, CIPOLICE_WRITE_CODE_CACHE: "1" }, encoding: "utf8" },
);
if (run.status !== 0) {
  process.stderr.write(
    `bundle-cli: the bundled CLI failed its trial run (exit ${run.status}):\n${run.stderr}`,
  );
  process.exit(1);
}
