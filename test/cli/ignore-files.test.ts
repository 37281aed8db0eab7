import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { pathToFileURL } from "node:url";
import type { DecisionV1, ResultRow } from "../../src/model/index.js";
import { REPO_ROOT } from "../support/corpus.js";
import { runCli } from "../support/run-cli.js";

// webapp: the default bundle warns on CVE-2022-25883 in semver (npm, /app/node_modules/semver/package.json)
const WEBAPP = "examples/webapp.facts.json";
const NOW = ["--now", "2026-11-22T00:00:00Z"];
const scratch = mkdtempSync(join(tmpdir(), "cipolice-ignore-"));

function file(name: string, text: string): string {
  const path = join(scratch, name);
  writeFileSync(path, text);
  return path;
}

function decide(...args: string[]): { status: number | null; decision: DecisionV1; stderr: string } {
  const run = runCli(["check", "--facts", WEBAPP, ...NOW, "--format", "json", ...args]);
  return { status: run.status, decision: JSON.parse(run.stdout || "null") as DecisionV1, stderr: run.stderr };
}

function semverRow(d: DecisionV1): ResultRow | undefined {
  return d.results.find((r) => r.triggerId === "CVE-2022-25883+semver");
}

test(".trivyignore: a bare id suppresses that CVE on every package; the row stays, naming file and line", () => {
  const path = file("plain.trivyignore", "# accepted\n\nCVE-2022-25883 exp:2027-01-31\nCVE-2099-0001\n");
  const { status, decision } = decide("--ignore-file", path, "--fail-on", "warn");
  assert.equal(status, 0, "the only warning is suppressed, so even --fail-on warn passes");
  const row = semverRow(decision);
  assert.equal(row?.effectiveAction, "go");
  assert.equal(row?.allowlisted?.allowlistName, path);
  assert.equal(row?.allowlisted?.itemId, "line 3 (CVE-2022-25883)");
  assert.equal(row?.allowlisted?.expiresOn, "2027-01-31T00:00:00Z");
  assert.match(
    decision.problems.map((p) => p.message).join("\n"),
    /plain\.trivyignore: 1 of 2 ignore rules match no finding of this image: line 4 \(CVE-2099-0001\)/,
  );
});

test(".trivyignore: an expired entry no longer suppresses, and says so", () => {
  const path = file("expired.trivyignore", "CVE-2022-25883 exp:2026-01-01\n");
  const { status, decision } = decide("--ignore-file", path, "--fail-on", "warn");
  assert.equal(status, 1);
  assert.equal(semverRow(decision)?.allowlisted, undefined);
  assert.ok(
    decision.problems.some(
      (p) => p.code === "CIP_ALLOWLIST_EXPIRED" && /expired on 2026-01-01/.test(p.message),
    ),
  );
});

test(".trivyignore.yaml: paths and purls narrow a rule; the statement becomes the reason", () => {
  const path = file(
    ".trivyignore.yaml",
    [
      "vulnerabilities:",
      "  - id: CVE-2022-25883",
      "    paths: ['app/node_modules/semver/package.json']",
      "    statement: not reachable from our code",
      "    expired_at: 2027-06-30",
      "  - id: CVE-2023-5678",
      "    purls: ['pkg:deb/debian/libssl3']",
      "  - id: CVE-2023-45853",
      "    purls: ['pkg:deb/debian/zlib1g']",
      "misconfigurations:",
      "  - id: AVD-DS-0002",
    ].join("\n"),
  );
  const { decision } = decide("--ignore-file", path, "--fail-on", "critical");
  const row = semverRow(decision);
  assert.equal(row?.allowlisted?.reason, "not reachable from our code");
  assert.equal(row?.allowlisted?.itemId, "vulnerabilities[0] (CVE-2022-25883)");
  const messages = decision.problems.map((p) => p.message).join("\n");
  assert.match(
    messages,
    /1 of 3 ignore rules match no finding of this image: vulnerabilities\[1\] \(CVE-2023-5678\)/,
  );
  assert.match(messages, /1 misconfigurations entries were not applied/);
  assert.match(
    messages,
    /no unsuppressed finding at or above critical/,
    "zlib1g matched by purl without version",
  );
});

test(".grype.yaml: package name, type and location must all match; a fix-state rule needs no id", () => {
  const path = file(
    ".grype.yaml",
    [
      "ignore:",
      "  - vulnerability: CVE-2022-25883",
      "    reason: dev dependency only",
      "    package: { name: semver, type: npm, location: '/app/node_modules/**' }",
      "  - vulnerability: CVE-2022-25883",
      "    package: { name: semver, version: 9.9.9 }",
      "  - fix-state: wont-fix",
    ].join("\n"),
  );
  const { decision } = decide("--ignore-file", path, "--fail-on", "critical");
  assert.equal(semverRow(decision)?.allowlisted?.reason, "dev dependency only");
  assert.equal(semverRow(decision)?.allowlisted?.itemId, "ignore[0] (CVE-2022-25883)");
  const messages = decision.problems.map((p) => p.message).join("\n");
  assert.match(
    messages,
    /1 of 3 ignore rules match no finding of this image: ignore\[1\] \(CVE-2022-25883\)/,
  );
  assert.equal(decision.status, "pass", "the won't-fix critical zlib1g finding is ignored by fix state");
});

test("the table shows which file and rule suppressed the hit", () => {
  const path = file("table.trivyignore", "CVE-2022-25883\n");
  const run = runCli(["check", "--facts", WEBAPP, ...NOW, "--ignore-file", path]);
  assert.equal(run.status, 0);
  assert.ok(run.stdout.includes("table.trivyignore"), run.stdout);
  assert.match(run.stdout, /line 1 \(CVE-2022-25883\)/);
  assert.match(run.stdout.trim().split("\n").at(-1) ?? "", /1 allowlisted/);
});

test("a .trivyignore in the working directory is applied as Trivy does, with a note", () => {
  const dir = mkdtempSync(join(tmpdir(), "cipolice-cwd-"));
  writeFileSync(join(dir, ".trivyignore"), "CVE-2022-25883\n");
  const run = spawnSync(
    process.execPath,
    [
      "--import",
      // tsx is resolved from the repository, since the working directory here is elsewhere
      pathToFileURL(join(REPO_ROOT, "node_modules/tsx/dist/loader.mjs")).href,
      join(REPO_ROOT, "src/cli/entry.ts"),
      "check",
      "--facts",
      join(REPO_ROOT, WEBAPP),
      ...NOW,
    ],
    { cwd: dir, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } },
  );
  assert.equal(run.status, 0, run.stderr);
  assert.match(unwrap(run.stdout), /\.trivyignore in the working directory was applied, as Trivy does/);
  assert.match(run.stdout.trim().split("\n").at(-1) ?? "", /0 warn, 1 allowlisted/);
});

test("an ignore file that is not one of the formats is refused with exit 2 and a hint", () => {
  const path = file("bad.yaml", "ignore: 3\n");
  const run = runCli(["check", "--facts", WEBAPP, ...NOW, "--ignore-file", path]);
  assert.equal(run.status, 2);
  assert.match(run.stderr, /Cannot read ignore file .*bad\.yaml: expected a list \(ignore\)/);
  assert.match(run.stderr, /hint: /);
  const missing = runCli(["check", "--facts", WEBAPP, ...NOW, "--ignore-file", join(scratch, "nope")]);
  assert.equal(missing.status, 2);
});

/** The table wraps long notes onto indented lines: join them back for matching. */
function unwrap(text: string): string {
  return text.replace(/\n {2}/g, " ");
}
