import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { REPO_ROOT } from "../support/corpus.js";
import { runCli } from "../support/run-cli.js";

const NOW = ["--now", "2026-11-22T00:00:00Z"];
// The V8 flag of bin/cipolice.cjs's shebang: the code cache is only valid under the same flags
const BIN_FLAGS = ["--max-semi-space-size=32"];

/** Runs the shipped binary as its shebang does. */
function runBinary(args: string[]) {
  return spawnSync(process.execPath, [...BIN_FLAGS, join(REPO_ROOT, "bin/cipolice.cjs"), ...args], {
    cwd: REPO_ROOT,
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1" },
  });
}

describe("the shipped binary (bundled CLI with its code cache)", () => {
  before(() => {
    const build = spawnSync(process.execPath, ["--import", "tsx", "scripts/bundle-cli.ts"], {
      cwd: REPO_ROOT,
      encoding: "utf8",
    });
    assert.equal(build.status, 0, build.stderr);
  });

  test("decides the shipped examples exactly as the source does, exit codes included", () => {
    for (const example of ["examples/webapp.facts.json", "examples/legacy-app.facts.json"]) {
      const args = ["check", "--facts", example, ...NOW, "--format", "json"];
      const shipped = runBinary(args);
      const source = runCli(args);
      assert.equal(shipped.status, source.status, shipped.stderr);
      assert.equal(shipped.stdout, source.stdout);
    }
    assert.equal(runBinary(["check", "--facts", "examples/legacy-app.facts.json", ...NOW]).status, 1);
  });

  test("finds its shipped files (the default bundle) from the bundle's location", () => {
    const scratch = mkdtempSync(join(tmpdir(), "cipolice-bin-"));
    const target = join(scratch, "bundle.yaml");
    const run = runBinary(["policy", "init", target]);
    assert.equal(run.status, 0, run.stderr);
    // init drops only the editor's schema line, whose relative path would not hold at the target
    const shipped = readFileSync(join(REPO_ROOT, "policies/default-bundle.yaml"), "utf8");
    assert.equal(readFileSync(target, "utf8"), shipped.replace(/^# yaml-language-server:.*\n/, ""));
    rmSync(scratch, { recursive: true, force: true });
  });

  test("errors keep their exit code and message, without a stack trace", () => {
    const run = runBinary(["check", "--facts", "no-such-file.json"]);
    assert.equal(run.status, 2);
    assert.match(run.stderr, /Cannot read .*no-such-file\.json/);
    assert.doesNotMatch(run.stderr, /\n\s+at /);
  });

  test("the code cache written by the build is accepted by V8 under the binary's flags", () => {
    const dir = join(REPO_ROOT, "dist/cli");
    const caches = readdirSync(dir).filter((f) => f.startsWith("cipolice.cjs.") && f.endsWith(".v8cache"));
    assert.equal(caches.length, 1, `one cache for the one bundle: ${caches.join(", ")}`);
    const probe = `
      const { readFileSync } = require("node:fs");
      const { Script } = require("node:vm");
      const Module = require("node:module");
      const source = readFileSync(${JSON.stringify(join(dir, "cipolice.cjs"))}, "utf8");
      const script = new Script(Module.wrap(source), {
        filename: ${JSON.stringify(join(dir, "cipolice.cjs"))},
        cachedData: readFileSync(${JSON.stringify(join(dir, caches[0] as string))}),
      });
      process.stdout.write(String(script.cachedDataRejected));
    `;
    const run = spawnSync(process.execPath, [...BIN_FLAGS, "-e", probe], { encoding: "utf8" });
    assert.equal(run.stdout, "false", run.stderr);
  });
});
