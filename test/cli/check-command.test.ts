import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { closeSync, mkdtempSync, openSync, readFileSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import type { DecisionV1 } from "../../src/model/index.js";
import { corpusPath, skipWithoutCorpus } from "../support/corpus.js";
import { runCli } from "../support/run-cli.js";

const WEBAPP = "examples/webapp.facts.json";
const LEGACY = "examples/legacy-app.facts.json";
const NOW = ["--now", "2026-11-22T00:00:00Z"];
const scratch = mkdtempSync(join(tmpdir(), "cipolice-cli-"));

test("the shipped example passes the default bundle with a warning: exit 0, summary line last", () => {
  const run = runCli(["check", "--facts", WEBAPP, ...NOW]);
  assert.equal(run.status, 0, run.stderr);
  const lines = run.stdout.trim().split("\n");
  assert.equal(lines.at(-1), "PASS final action WARN (policy evaluation): 0 stop, 1 warn, 0 allowlisted");
  assert.match(run.stdout, /│ CVE-2022-25883 │ high +│ semver +│ 7\.5\.1 +│ 7\.5\.2 │ warn +│/);
  assert.ok(!run.stdout.includes("\u001b["), "no colour codes when not a TTY");
});

test("--fail-on warn turns the same warning into exit 1", () => {
  assert.equal(runCli(["check", "--facts", WEBAPP, ...NOW, "--fail-on", "warn"]).status, 1);
});

test("the legacy example fails: root user, :latest and a fixable critical vulnerability stop it (exit 1)", () => {
  const run = runCli(["check", "--facts", LEGACY, ...NOW, "--format", "json"]);
  assert.equal(run.status, 1, run.stderr);
  const decision = JSON.parse(run.stdout) as DecisionV1;
  assert.equal(decision.schemaVersion, "1");
  assert.equal(decision.finalAction, "stop");
  assert.equal(decision.status, "fail");
  assert.equal(decision.image.ref, "docker.io/library/legacy-app:latest");
  const stops = decision.results.filter((r) => r.effectiveAction === "stop").map((r) => r.ruleId);
  assert.deepEqual(stops.sort(), ["critical-with-fix", "latest-tag", "runs-as-root"]);
});

test("--format anchore prints anchore-engine's evaluation shape", () => {
  const run = runCli(["check", "--facts", LEGACY, ...NOW, "--format", "anchore"]);
  const doc = JSON.parse(run.stdout) as Record<
    string,
    Record<string, { detail: { result: Record<string, unknown> }; status: string }[]>
  >[];
  const byTag = Object.values(doc[0] ?? {})[0] ?? {};
  const evaluation = byTag["docker.io/library/legacy-app:latest"]?.[0];
  assert.equal(evaluation?.status, "fail");
  const result = evaluation?.detail.result as {
    final_action: string;
    result: Record<string, { result: { header: string[]; rows: unknown[][] } }>;
  };
  assert.equal(result.final_action, "stop");
  const table = Object.values(result.result).find((v) => v && typeof v === "object" && "result" in v)?.result;
  assert.deepEqual(table?.header, [
    "Image_Id",
    "Repo_Tag",
    "Trigger_Id",
    "Gate",
    "Trigger",
    "Check_Output",
    "Gate_Action",
    "Whitelisted",
    "Policy_Id",
  ]);
  const rootRow = table?.rows.find((r) => r[4] === "runs_as_root");
  assert.equal(rootRow?.[5], "Image runs as root: its config sets no User");
  // anchore's default trigger id: md5 of gate, trigger and message
  assert.equal(
    rootRow?.[2],
    createHash("md5").update(`image_configruns_as_root${rootRow?.[5]}`).digest("hex"),
  );
});

test("facts can come from standard input", () => {
  const run = runCli(["check", "--facts", "-", ...NOW, "--format", "json"], {
    input: readFileSync(WEBAPP, "utf8"),
  });
  assert.equal(run.status, 0, run.stderr);
  assert.equal((JSON.parse(run.stdout) as DecisionV1).image.ref, "ghcr.io/example/webapp:1.4.2");
});

test("malformed policy JSON: exit 2, one line with the location, no stack trace unless --debug", () => {
  const bad = join(scratch, "bad.json");
  writeFileSync(bad, '{"id": "x",\n  "version": "1_0",\n  "policies": [}\n');
  const run = runCli(["check", "--facts", WEBAPP, "--policy", bad]);
  assert.equal(run.status, 2);
  assert.equal(run.stdout, "");
  assert.match(
    run.stderr,
    /^cipolice: error CIP_PARSE: Cannot parse .*bad\.json as JSON: unexpected '}' \(line 3, column 16\)$/m,
  );
  assert.doesNotMatch(run.stderr, /^\s+at /m);
  assert.match(runCli(["check", "--facts", WEBAPP, "--policy", bad, "--debug"]).stderr, /^\s+at /m);
});

test("facts with wrong types and unknown fields: exit 2, one line per problem with its path", () => {
  const bad = join(scratch, "facts.json");
  writeFileSync(
    bad,
    JSON.stringify({ ref: { registry: "docker.io", repository: "x" }, size: "big", colour: 1 }),
  );
  const run = runCli(["check", "--facts", bad]);
  assert.equal(run.status, 2);
  assert.match(run.stderr, /^ {2}- size: expected number, got string$/m);
  assert.match(run.stderr, /^ {2}- document: unknown field "colour"$/m);
});

test("a 200 MB facts document is refused before it is read, naming the default limit", () => {
  const big = join(scratch, "big.json");
  // A sparse file: the size is checked before any byte is read, so this costs nothing.
  closeSync(openSync(big, "w"));
  truncateSync(big, 200 * 1024 * 1024);
  const run = runCli(["check", "--facts", big]);
  assert.equal(run.status, 2);
  assert.match(
    run.stderr,
    /CIP_INPUT_TOO_LARGE: Cannot read facts .*big\.json: it is 200 MiB, over the 64 MiB input limit/,
  );
});

test("the size limit is configurable", () => {
  const run = runCli(["check", "--facts", WEBAPP, "--max-input-size", "4kB"]);
  assert.equal(run.status, 2);
  assert.match(
    run.stderr,
    /CIP_INPUT_TOO_LARGE: Cannot read facts examples\/webapp\.facts\.json: it is [\d.]+ kB, over the 4\.0 kB input limit/,
  );
  assert.match(run.stderr, /--max-input-size/);
});

test("an unknown format lists the valid ones; a missing file says so", () => {
  const format = runCli(["check", "--facts", WEBAPP, "--format", "xml"]);
  assert.equal(format.status, 2);
  assert.match(format.stderr, /Cannot use format "xml": no such format/);
  assert.match(
    format.stderr,
    /Choose one of table, json, anchore, sarif, junit, markdown, html, gitlab, explain\./,
  );
  const missing = runCli(["check", "--facts", "nope.json"]);
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /Cannot read facts nope\.json: no such file/);
});

test("policy validate: corpus bundles, exit 1 when one is invalid", {
  skip: skipWithoutCorpus("policies/anchore/anchore-engine_test_bad_bundle.json"),
}, () => {
  const good = corpusPath("policies/anchore/modular-policy_ironbank_v5.2.4_bundle.json");
  const bad = corpusPath("policies/anchore/anchore-engine_test_bad_bundle.json");
  const ok = runCli(["policy", "validate", good]);
  assert.equal(ok.status, 0);
  assert.match(ok.stdout, /valid \(26 policies, 52 rules, 5 allowlists with 81 items, 22 mappings\)/);
  const run = runCli(["policy", "validate", good, bad]);
  assert.equal(run.status, 1);
  assert.match(run.stdout, /policies\[0\]\.rules\[0\]\.action: .*action "invalidaction" is not valid/);
});

test("policy init writes the default bundle, which validates; it will not overwrite without --force", () => {
  const file = join(scratch, "mine.json");
  assert.equal(runCli(["policy", "init", file]).status, 0);
  assert.equal(runCli(["policy", "validate", file]).status, 0);
  const again = runCli(["policy", "init", file]);
  assert.equal(again.status, 2);
  assert.match(again.stderr, /the file exists/);
});

test("policy gates lists every gate and trigger of the catalog", () => {
  const run = runCli(["policy", "gates", "--format", "json"]);
  const gates = JSON.parse(run.stdout) as {
    name: string;
    triggers: { name: string; params: { name: string }[] }[];
  }[];
  const names = gates.map((g) => g.name);
  for (const g of [
    "always",
    "dockerfile",
    "vulnerabilities",
    "metadata",
    "packages",
    "licenses",
    "files",
    "passwd_file",
    "retrieved_files",
    "secret_scans",
    "malware",
    "npms",
    "ruby_gems",
    "tag_drift",
    "image_source",
    "expression",
  ]) {
    assert.ok(names.includes(g), `gate ${g} listed`);
  }
  const pkg = gates.find((g) => g.name === "vulnerabilities")?.triggers.find((t) => t.name === "package");
  assert.ok(pkg?.params.some((p) => p.name === "vendor_cvss_v3_impact_score"));
});

test("--expiry-warning-days widens the window in which expiring allowlist items warn", () => {
  const bundle = join(scratch, "expiring.yaml");
  writeFileSync(
    bundle,
    [
      "id: b",
      'version: "1_0"',
      "policies: [{ id: p, version: '1_0', rules: [{ id: r, gate: always, trigger: always, action: STOP, params: [] }] }]",
      "whitelists: [{ id: w, version: '1_0', items: [{ id: i, gate: always, trigger_id: always, expires_on: '2027-01-01T00:00:00Z', owner: sec }] }]",
      "mappings: [{ registry: '*', repository: '*', image: { type: tag, value: '*' }, policy_id: p, whitelist_ids: [w] }]",
    ].join("\n"),
  );
  const base = ["check", "--facts", WEBAPP, "--policy", bundle, ...NOW, "--format", "json"];
  const quiet = JSON.parse(runCli(base).stdout) as DecisionV1;
  assert.equal(quiet.finalAction, "go");
  assert.ok(!quiet.problems.some((p) => p.code === "CIP_ALLOWLIST_EXPIRING"));
  const warned = JSON.parse(runCli([...base, "--expiry-warning-days", "60"]).stdout) as DecisionV1;
  assert.ok(warned.problems.some((p) => p.code === "CIP_ALLOWLIST_EXPIRING" && /in 40 days/.test(p.message)));
});

test("several formats in one run, each to its own output; an unwritable output fails before any work", () => {
  const sarif = join(scratch, "out.sarif");
  const junit = join(scratch, "out.xml");
  const run = runCli([
    "check",
    "--facts",
    LEGACY,
    ...NOW,
    "--format",
    "table",
    "--format",
    `sarif=${sarif}`,
    "--format",
    "junit",
    "--output",
    "-",
    "--output",
    "-",
    "--output",
    junit,
  ]);
  assert.equal(run.status, 1, run.stderr);
  assert.match(run.stdout, /FAIL final action STOP/);
  assert.equal((JSON.parse(readFileSync(sarif, "utf8")) as { version: string }).version, "2.1.0");
  assert.match(readFileSync(junit, "utf8"), /^<\?xml version="1\.0" encoding="UTF-8"\?>/);
  const bad = runCli(["check", "--facts", "nope.json", "--format", "html=/nonexistent-dir/report.html"]);
  assert.equal(bad.status, 2);
  // The output is refused first: the missing facts file was never read.
  assert.match(
    bad.stderr,
    /Cannot write report to \/nonexistent-dir\/report\.html: the directory \/nonexistent-dir does not exist or is not writable/,
  );
  const two = runCli(["check", "--facts", LEGACY, "--format", "table", "--format", "json"]);
  assert.equal(two.status, 2);
  assert.match(two.stderr, /Cannot write table and json both to standard output/);
});

test("--exit-code-warn gives WARN its own exit code; FAIL stays 1 and PASS 0", () => {
  assert.equal(runCli(["check", "--facts", WEBAPP, ...NOW, "--exit-code-warn", "3"]).status, 3);
  assert.equal(runCli(["check", "--facts", LEGACY, ...NOW, "--exit-code-warn", "3"]).status, 1);
  assert.equal(
    runCli(["check", "--facts", WEBAPP, ...NOW, "--exit-code-warn", "3", "--fail-on", "warn"]).status,
    1,
  );
  assert.equal(runCli(["check", "--facts", WEBAPP, ...NOW, "--exit-code-warn", "300"]).status, 2);
  for (const taken of ["1", "2"]) {
    const run = runCli(["check", "--facts", WEBAPP, ...NOW, "--exit-code-warn", taken]);
    assert.equal(run.status, 2);
    assert.match(run.stderr, /1 means FAIL and 2 means the image could not be evaluated/);
  }
});

test("explain refuses the options that would change its exit code instead of ignoring them", () => {
  for (const args of [
    ["--fail-on", "warn"],
    ["--exit-code-warn", "3"],
  ]) {
    const run = runCli(["explain", "--facts", WEBAPP, ...NOW, ...args]);
    assert.equal(run.status, 2, run.stdout);
    assert.match(run.stderr, new RegExp(`Cannot use ${args[0]} with explain: explain exits 0`));
  }
  assert.equal(runCli(["explain", "--facts", LEGACY, ...NOW]).status, 0);
});

test("cipolice explain and check --explain say which mapping, policy and rule decided", () => {
  const run = runCli(["explain", "--facts", LEGACY, ...NOW]);
  assert.equal(run.status, 0, run.stderr);
  assert.match(
    run.stdout,
    /Mapping #1 All images \(registry \*, repository \*, tag \*\) selected policies "Default security policy" \(default-security\); allowlists default-allowlist\./,
  );
  assert.match(
    run.stdout,
    /rule runs-as-root image_config\/runs_as_root \(STOP\) fired on [0-9a-f]{32}: Image runs as root: its config sets no User — counts as STOP/,
  );
  const both = runCli(["check", "--facts", LEGACY, ...NOW, "--explain"]);
  assert.equal(both.status, 1);
  assert.match(
    both.stdout,
    /FAIL final action STOP[\s\S]*Decision .* for docker\.io\/library\/legacy-app:latest/,
  );
});
