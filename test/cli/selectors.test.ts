import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import type { DecisionV1 } from "../../src/model/index.js";
import { runCli } from "../support/run-cli.js";

const work = mkdtempSync(join(tmpdir(), "cip-selectors-"));
after(() => rmSync(work, { recursive: true, force: true }));

// A production mapping that stops every image, before a catch-all that lets it go
const BUNDLE = join(work, "environments.yaml");
writeFileSync(
  BUNDLE,
  `id: envs
version: "1_0"
name: environments
policies:
  - { id: strict, name: strict, version: "1_0", rules: [{ id: r1, gate: image_source, trigger: tag_latest, action: STOP, params: [] }] }
  - { id: lax, name: lax, version: "1_0", rules: [] }
mappings:
  - { id: m1, name: production, registry: "*", repository: "*", image: { type: tag, value: "*" }, policy_ids: [strict], environments: [prod], namespaces: ["payments-*"] }
  - { id: m2, name: rest, registry: "*", repository: "*", image: { type: tag, value: "*" }, policy_ids: [lax] }
`,
);

function mapping(args: string[]): string | undefined {
  const run = runCli([
    "check",
    "--facts",
    "examples/webapp.facts.json",
    "--policy",
    BUNDLE,
    "--format",
    "json",
    ...args,
  ]);
  assert.ok(run.status === 0 || run.status === 1, run.stderr);
  return (JSON.parse(run.stdout) as DecisionV1).mapping?.name;
}

test("--environment and --namespace select mappings in any case, as people and Kubernetes name them", () => {
  assert.equal(mapping(["--environment", "prod", "--namespace", "payments-eu"]), "production");
  assert.equal(mapping(["--environment", "PROD", "--namespace", "Payments-EU"]), "production");
  assert.equal(mapping(["--environment", "Prod", "--namespace", "payments-eu"]), "production");
  assert.equal(mapping(["--environment", "staging", "--namespace", "payments-eu"]), "rest");
  assert.equal(mapping(["--environment", "prod"]), "rest", "a namespace-scoped mapping needs a namespace");
});
