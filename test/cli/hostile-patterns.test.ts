import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { runCliMeasured } from "../support/measured-run.js";
import { runCli } from "../support/run-cli.js";

const scratch = mkdtempSync(join(tmpdir(), "cipolice-hostile-"));

const BUNDLE = `version: "1_0"
id: hostile
policies:
  - id: p
    version: "1_0"
    rules:
      - id: team-repos
        gate: image_source
        trigger: repository_name
        action: STOP
        params:
          - { name: pattern, value: "(?P<team>[a-z]+)/(?P=team)-.*" }
      - id: no-curl
        gate: dockerfile
        trigger: instruction
        action: WARN
        params:
          - { name: instruction, value: RUN }
          - { name: check, value: like }
          - { name: value, value: '(curl|wget) .*\\1' }
      - id: keys
        gate: files
        trigger: name_match
        action: WARN
        params:
          - { name: regex, value: '.*(?<!public)\\.pem' }
whitelists:
  - id: wl
    version: "1_0"
    items:
      - { id: i1, gate: vulnerabilities, trigger_id: 'regexp:CVE-(?=2024).*' }
mappings:
  - { registry: "*", repository: "*", image: { type: tag, value: "*" }, policy_id: p, whitelist_ids: [wl] }
`;

const file = join(scratch, "hostile.yaml");
writeFileSync(file, BUNDLE);

test("policy validate refuses backreferences and lookaround, naming the pattern, where it is and why", () => {
  const run = runCli(["policy", "validate", file]);
  assert.equal(run.status, 1, run.stderr);
  const lines = run.stdout.trim().split("\n");
  assert.equal(lines[0], `${file}: invalid: Cannot use policy bundle ${file}: 4 problems`);
  const why = "regular expressions run on RE2, so rewrite it without backreferences or lookaround";
  assert.deepEqual(lines.slice(1, 5), [
    `  - policies[0].rules[0].params[0]: policy "p" rule "team-repos" (image_source/repository_name): parameter "pattern" has value "(?P<team>[a-z]+)/(?P=team)-.*", which cannot be used: backreferences cannot run in linear time ((?P=name)); ${why}`,
    `  - policies[0].rules[1].params[2]: policy "p" rule "no-curl" (dockerfile/instruction): parameter "value" has value "(curl|wget) .*\\\\1", which cannot be used: backreferences cannot run in linear time (\\1); ${why}`,
    `  - policies[0].rules[2].params[0]: policy "p" rule "keys" (files/name_match): parameter "regex" has value ".*(?<!public)\\\\.pem", which cannot be used: lookbehind assertions cannot run in linear time ((?<!…)); ${why}`,
    `  - whitelists[0].items[0].trigger_id: allowlist "wl" item "i1": trigger_id "regexp:CVE-(?=2024).*" cannot be used: lookahead assertions cannot run in linear time ((?=…)); ${why}`,
  ]);
});

test("check refuses the same bundle before evaluating anything", () => {
  const run = runCli(["check", "--facts", "examples/webapp.facts.json", "--policy", file]);
  assert.equal(run.status, 2, run.stdout);
  assert.match(run.stderr, /Cannot use policy bundle .*hostile\.yaml: 4 problems/);
  assert.match(run.stderr, /backreferences cannot run in linear time \(\(\?P=name\)\)/);
});

test("a pattern with catastrophic backtracking validates and checks quickly against a long name", () => {
  const bundle = join(scratch, "redos.yaml");
  writeFileSync(
    bundle,
    BUNDLE.replace("(?P<team>[a-z]+)/(?P=team)-.*", "(a+)+$")
      .replace("(curl|wget) .*\\1", "(a|aa)*$")
      .replace(".*(?<!public)\\.pem", "(.*a){20}")
      .replace("regexp:CVE-(?=2024).*", "regexp:(a+)+$"),
  );
  assert.equal(runCli(["policy", "validate", bundle]).status, 0);
  const facts = join(scratch, "facts.json");
  writeFileSync(
    facts,
    JSON.stringify({
      ref: { registry: "docker.io", repository: `${"a".repeat(50_000)}!`, tag: "1" },
      dockerfile: { mode: "actual", instructions: [{ directive: "RUN", value: `${"a".repeat(50_000)}!` }] },
      files: [{ path: `/${"a".repeat(50_000)}!`, mode: 0o100644 }],
    }),
  );
  const run = runCliMeasured(["check", "--facts", facts, "--policy", bundle, "--format", "json"]);
  assert.ok(run.status === 0 || run.status === 1, run.stderr);
  // A process start is most of this; a backtracking engine would not finish in years.
  assert.ok(run.ms < 15_000, `took ${run.ms.toFixed(0)} ms`);
  assert.ok(run.peakBytes < 512 * 1024 * 1024, `peak memory ${(run.peakBytes / 1024 / 1024).toFixed(0)} MiB`);
  const decision = JSON.parse(run.stdout) as { results: { ruleId: string; status: string }[] };
  assert.deepEqual(
    decision.results.filter((r) => r.status === "error"),
    [],
  );
});
