import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import type { DecisionV1 } from "../../src/model/index.js";
import { runCli } from "../support/run-cli.js";

// webapp: CVE-2023-5678 openssl medium (fixed), CVE-2022-25883 semver high (fixed), CVE-2023-45853 zlib1g critical (won't fix)
const WEBAPP = "examples/webapp.facts.json";
const NOW = ["--now", "2026-11-22T00:00:00Z"];
const scratch = mkdtempSync(join(tmpdir(), "cipolice-fail-on-"));

test("--fail-on high fails an image the policy passes, and says which findings did it", () => {
  assert.equal(runCli(["check", "--facts", WEBAPP, ...NOW]).status, 0);
  const run = runCli(["check", "--facts", WEBAPP, ...NOW, "--fail-on", "high"]);
  assert.equal(run.status, 1, run.stderr);
  assert.match(
    unwrap(run.stdout),
    /error: 2 findings at or above high \(--fail-on high\): CVE-2022-25883 \(semver/,
  );
  assert.match(run.stdout.trim().split("\n").at(-1) ?? "", /^FAIL final action WARN/);
});

test("--fail-on critical counts only critical; --fail-on medium counts all three", () => {
  const critical = runCli(["check", "--facts", WEBAPP, ...NOW, "--fail-on", "critical"]);
  assert.equal(critical.status, 1);
  assert.match(
    unwrap(critical.stdout),
    /1 finding at or above critical \(--fail-on critical\): CVE-2023-45853/,
  );
  const medium = runCli(["check", "--facts", WEBAPP, ...NOW, "--fail-on", "medium", "--format", "json"]);
  assert.equal(medium.status, 1);
  const d = JSON.parse(medium.stdout) as DecisionV1;
  assert.equal(d.status, "fail");
  assert.equal(d.finalAction, "warn", "the policy's own action is kept");
  assert.match(d.problems.find((p) => p.code === "CIP_FAIL_ON_SEVERITY")?.message ?? "", /^3 findings/);
});

test("findings suppressed by an ignore rule or left out by --only-fixed do not count for --fail-on", () => {
  const ignore = join(scratch, ".trivyignore");
  writeFileSync(ignore, "CVE-2023-45853\n");
  const run = runCli(["check", "--facts", WEBAPP, ...NOW, "--fail-on", "critical", "--ignore-file", ignore]);
  assert.equal(run.status, 0, run.stdout);
  assert.match(unwrap(run.stdout), /note: no unsuppressed finding at or above critical/);
  assert.equal(
    runCli(["check", "--facts", WEBAPP, ...NOW, "--fail-on", "critical", "--only-fixed"]).status,
    0,
  );
});

test("--fail-on still takes stop and warn, and refuses other words (exit 2)", () => {
  assert.equal(runCli(["check", "--facts", WEBAPP, ...NOW, "--fail-on", "warn"]).status, 1);
  const bad = runCli(["check", "--facts", WEBAPP, ...NOW, "--fail-on", "severe"]);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /severe/);
});

test("check --explain says why --fail-on failed the image", () => {
  const run = runCli(["check", "--explain", "--facts", WEBAPP, ...NOW, "--fail-on", "high"]);
  assert.equal(run.status, 1, run.stderr);
  assert.match(run.stdout, /Note \(error\): 2 findings at or above high \(--fail-on high\)/);
});

/** The table wraps long notes onto indented lines: join them back for matching. */
function unwrap(text: string): string {
  return text.replace(/\n {2}/g, " ");
}
