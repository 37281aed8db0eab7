import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import type { DecisionV1 } from "../../src/model/index.js";
import { oneRuleBundle } from "../support/one-rule-bundle.js";
import { runCli } from "../support/run-cli.js";

const work = mkdtempSync(join(tmpdir(), "cip-no-data-"));
after(() => rmSync(work, { recursive: true, force: true }));
const NOW = ["--now", "2026-11-22T00:00:00Z"];

function factsFile(name: string, facts: unknown): string {
  const path = join(work, name);
  writeFileSync(path, JSON.stringify(facts));
  return path;
}

test("a rule with no data to decide on says so in the decision and in explain, instead of passing silently", () => {
  // Known: nothing about the user (no config, no Dockerfile) and no vulnerability data at all
  const facts = factsFile("bare.json", { image: "registry.example/bare:1.0" });
  const json = runCli(["check", "--facts", facts, ...NOW, "--format", "json"]);
  const decision = JSON.parse(json.stdout) as DecisionV1;
  const noData = decision.problems.filter((p) => p.code === "CIP_RULE_NO_DATA");
  assert.deepEqual(noData.map((p) => p.ruleId).sort(), [
    "critical-with-fix",
    "high-or-critical-without-fix",
    "high-with-fix",
    "runs-as-root",
  ]);
  const explain = runCli(["explain", "--facts", facts, ...NOW]);
  assert.equal(explain.status, 0, explain.stderr);
  assert.match(
    explain.stdout,
    /· runs-as-root image_config\/runs_as_root STOP — NO DATA: neither the image config nor a Dockerfile is known/,
  );
  assert.match(
    explain.stdout,
    /· critical-with-fix vulnerabilities\/package STOP .* — NO DATA: there is no vulnerability data/,
  );
});

test("with the data known, the same rules decide and say nothing of missing data", () => {
  const facts = factsFile("known.json", {
    image: "registry.example/known:1.0",
    config: { user: "10001" },
    vulnerabilities: [],
  });
  const decision = JSON.parse(
    runCli(["check", "--facts", facts, ...NOW, "--format", "json"]).stdout,
  ) as DecisionV1;
  assert.ok(!decision.problems.some((p) => p.code === "CIP_RULE_NO_DATA"));
});

test("an Anchore dockerfile rule without a Dockerfile says it had none", () => {
  const facts = factsFile("no-dockerfile.json", { image: "registry.example/app:1.0", vulnerabilities: [] });
  const bundle = join(work, "effective-user.json");
  writeFileSync(
    bundle,
    JSON.stringify(oneRuleBundle("dockerfile", "effective_user", { users: "root", type: "blacklist" })),
  );
  const run = runCli(["check", "--facts", facts, "--policy", bundle, ...NOW, "--format", "json"]);
  assert.equal(run.status, 0, run.stderr);
  const decision = JSON.parse(run.stdout) as DecisionV1;
  assert.match(
    decision.problems.find((p) => p.code === "CIP_RULE_NO_DATA")?.message ?? "",
    /rule r \(dockerfile\/effective_user\) had no data to decide on: no Dockerfile is known/,
  );
});
