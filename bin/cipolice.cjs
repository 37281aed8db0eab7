#!/usr/bin/env -S node --max-semi-space-size=32
// A larger young generation: ingesting a large report allocates its normalized copy while the parsed
// document is alive, and the default size promotes both to the old generation (measured: 1.9x vs 1.5x JSON.parse).
"use strict";
const { existsSync, readFileSync, writeFileSync } = require("node:fs");
const Module = require("node:module");
const { dirname, join } = require("node:path");
const { Script } = require("node:vm");

// The CLI runs from one bundled CommonJS file compiled with V8's code cache, both written by the build
// (scripts/bundle-cli.ts): resolving and compiling ~200 ES modules one by one took 400 ms of every run.
// This loader is CommonJS too: Node's ES module loader would add its own start-up cost.
const bundle = join(__dirname, "../dist/cli/cipolice.cjs");
if (!existsSync(bundle)) {
  process.stderr.write(`cipolice: error: ${bundle} is missing; run npm run build (npm ci runs it too)\n`);
  process.exit(2);
}
const source = readFileSync(bundle, "utf8");
// The cache is named by the build id the bundle starts with: V8 itself only checks the source's length
const buildId = /^\/\/ cipolice-build ([0-9a-f]+)\n/.exec(source)?.[1];
const cacheFile = buildId === undefined ? undefined : `${bundle}.${buildId}.v8cache`;
const writeCache = process.env.CIPOLICE_WRITE_CODE_CACHE === "1" && cacheFile !== undefined;
const cachedData = !writeCache && cacheFile && existsSync(cacheFile) ? readFileSync(cacheFile) : undefined;
const script = new Script(Module.wrap(source), { filename: bundle, cachedData });
if (writeCache) {
  // After the run, so that the functions it compiled lazily are in the cache too
  process.once("exit", () => writeFileSync(cacheFile, script.createCachedData()));
}
const bundled = { exports: {} };
script.runInThisContext()(bundled.exports, Module.createRequire(bundle), bundled, bundle, dirname(bundle));
