import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { corpusPath, skipWithoutCorpus } from "../support/corpus.js";
import { oneRuleBundle } from "../support/one-rule-bundle.js";
import { runCli } from "../support/run-cli.js";

// What a CI job shows its users from a real Grype report of busybox 1.32.1 (15 findings: 1 critical,
// 10 high, 2 medium, 2 low) and a policy that stops on every one of them.
const GRYPE = "scanners/grype/defectdojo/many_vulns_with_epss_values.json";
const NOW = ["--now", "2026-11-22T00:00:00Z"];
const scratch = mkdtempSync(join(tmpdir(), "cipolice-fidelity-"));
const EVERY_VULNERABILITY = join(scratch, "every-vulnerability.json");
writeFileSync(
  EVERY_VULNERABILITY,
  JSON.stringify(
    oneRuleBundle("vulnerabilities", "package", {
      package_type: "all",
      severity_comparison: ">=",
      severity: "unknown",
    }),
  ),
);
const skip = skipWithoutCorpus(GRYPE);

function check(...args: string[]) {
  return runCli(["check", "--report", corpusPath(GRYPE), "--policy", EVERY_VULNERABILITY, ...NOW, ...args]);
}

interface Grype {
  matches: { vulnerability: { id: string; severity: string } }[];
}

test("SARIF: one rule per vulnerability, each with its own security severity", { skip }, () => {
  const run = check("--format", "sarif");
  assert.equal(run.status, 1, run.stderr);
  const log = JSON.parse(run.stdout) as {
    runs: {
      tool: {
        driver: {
          rules: { id: string; helpUri?: string; properties: Record<string, string> }[];
        };
      };
      results: { ruleId: string; ruleIndex: number }[];
    }[];
  };
  const { rules } = log.runs[0]?.tool.driver ?? { rules: [] };
  const grype = JSON.parse(readFileSync(corpusPath(GRYPE), "utf8")) as Grype;
  const ids = [...new Set(grype.matches.map((m) => m.vulnerability.id))];
  assert.deepEqual(rules.map((r) => r.id).sort(), [...ids].sort(), "a rule per vulnerability id");
  for (const r of log.runs[0]?.results ?? []) assert.equal(rules[r.ruleIndex]?.id, r.ruleId);
  // GitHub's bands: a low finding is not shown as High any more, a critical one is Critical.
  const band = (score: number) =>
    score >= 9 ? "critical" : score >= 7 ? "high" : score >= 4 ? "medium" : "low";
  const seen = rules.map((r) => band(Number(r.properties["security-severity"])));
  assert.ok(seen.includes("low") && seen.includes("medium") && seen.includes("critical"), seen.join(","));
  for (const r of rules) {
    assert.equal(r.helpUri, `https://nvd.nist.gov/vuln/detail/${r.id}`);
    assert.ok(Number(r.properties["security-severity"]) > 0);
  }
});

test("GitLab: package name and installed version apart, the distribution, the image", { skip }, () => {
  const run = check("--format", "gitlab");
  assert.equal(run.status, 1, run.stderr);
  const report = JSON.parse(run.stdout) as {
    vulnerabilities: {
      solution?: string;
      location: {
        dependency: { package: { name: string }; version: string };
        operating_system: string;
        image: string;
      };
    }[];
  };
  assert.equal(report.vulnerabilities.length, 15);
  for (const v of report.vulnerabilities) {
    assert.deepEqual(v.location.dependency, { package: { name: "busybox" }, version: "1.32.1" });
    assert.equal(v.location.operating_system, "busybox 1.32.1");
    assert.match(v.location.image, /^docker\.io\/library\/busybox:1\.32\.1@sha256:/);
  }
});

test("GitLab: the solution names the package and the version that fixes it (legacy example)", () => {
  const run = runCli(["check", "--facts", "examples/legacy-app.facts.json", ...NOW, "--format", "gitlab"]);
  const v = (JSON.parse(run.stdout) as { vulnerabilities: { solution?: string; location: unknown }[] })
    .vulnerabilities[0];
  assert.equal(v?.solution, "Upgrade openssh-server to 1:7.9p1-10+deb10u3");
  assert.deepEqual(v?.location, {
    dependency: { package: { name: "openssh-server" }, version: "1:7.9p1-10+deb10u2" },
    operating_system: "debian 10",
    image: "docker.io/library/legacy-app:latest",
  });
});

test("table: every line fits 80 columns in a pipe, with one row per vulnerability and its columns", {
  skip,
}, () => {
  const run = check();
  assert.equal(run.status, 1, run.stderr);
  const lines = run.stdout.trimEnd().split("\n");
  for (const line of lines) assert.ok([...line].length <= 80, `${[...line].length} columns: ${line}`);
  assert.ok(!run.stdout.includes("\u001b["), "no colour codes when not a TTY");
  assert.match(run.stdout, /│ Vulnerability +│ Severity │ Package +│ Installed │ Fixed +│ Action │/);
  assert.match(run.stdout, /│ CVE-2022-48174 │ critical │ busybox +│ 1\.32\.1 +│ +│ stop +│/);
  // No id is cut across lines: each appears whole.
  const grype = JSON.parse(readFileSync(corpusPath(GRYPE), "utf8")) as Grype;
  for (const m of grype.matches) assert.ok(run.stdout.includes(m.vulnerability.id), m.vulnerability.id);
  assert.equal(lines.at(-1), "FAIL final action STOP (policy evaluation): 15 stop, 0 warn, 0 allowlisted");
});

test("--quiet prints the summary line only", { skip }, () => {
  const run = check("--quiet");
  assert.equal(run.status, 1, run.stderr);
  assert.equal(run.stdout, "FAIL final action STOP (policy evaluation): 15 stop, 0 warn, 0 allowlisted\n");
});

test("markdown: says how many findings it shows, how many it left out, and where the rest are", {
  skip,
}, () => {
  const run = check("--format", "markdown");
  assert.equal(run.status, 1, run.stderr);
  // 15 findings fit the top table: nothing is left out, and the comment says no more than it shows.
  assert.match(run.stdout, /\*\*Findings\*\* \(15\)/);
  assert.doesNotMatch(run.stdout, /all are listed below/);
});

const MANY = "scanners/grype/defectdojo/issue_9618.json";
test("markdown with more findings than the top table: exact counts shown and left out", {
  skip: skipWithoutCorpus(MANY),
}, () => {
  const run = runCli([
    "check",
    "--report",
    corpusPath(MANY),
    "--policy",
    EVERY_VULNERABILITY,
    ...NOW,
    "--format",
    "markdown",
  ]);
  assert.equal(run.status, 1, run.stderr);
  const found =
    /\*\*Top findings\*\*: 20 of (\d+) STOP and WARN findings shown here, (\d+) left out; the "All findings" section below lists all (\d+)\./.exec(
      run.stdout,
    );
  assert.ok(found, run.stdout.slice(0, 2000));
  const [, total, left, all] = found.map(Number);
  assert.equal(left, (total as number) - 20);
  assert.equal(all, total);
  assert.match(run.stdout, new RegExp(`<summary>All findings \\(${total}\\)</summary>`));
  const top = run.stdout
    .split("| Action | Rule | Gate / trigger | Message |\n|---|---|---|---|\n")[1]
    ?.split("\n\n")[0];
  assert.equal(top?.split("\n").length, 20, "the top table has the 20 rows it says");
});
