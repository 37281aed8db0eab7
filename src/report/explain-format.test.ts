import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { REPO_ROOT } from "../../test/support/corpus.js";
import type { ImageFacts } from "../model/index.js";
import { compileBundle } from "../policy/compile-bundle.js";
import { evaluate } from "../policy/evaluate.js";
import { formatExplain } from "./explain-format.js";

test("explain names the namespace labels and annotations of the mapping that decided", () => {
  const any = { registry: "*", repository: "*", image: { type: "tag", value: "*" }, policy_id: "p" };
  const { compiled } = compileBundle({
    id: "b",
    version: "1_0",
    policies: [{ id: "p", version: "1_0", rules: [] }],
    mappings: [
      { ...any, name: "strict", annotations: { "cipolice.io/profile": "strict" } },
      { ...any, name: "production", namespace_labels: { tier: "prod*", team: "web" } },
      { ...any, name: "rest" },
    ],
  });
  assert.ok(compiled);
  const facts = JSON.parse(readFileSync(join(REPO_ROOT, "examples/webapp.facts.json"), "utf8")) as ImageFacts;
  const explain = (context: ImageFacts["context"]) =>
    formatExplain(
      evaluate(compiled, { ...facts, context }, { now: new Date("2026-12-07T00:00:00Z"), imageRef: "x" }),
      { color: false, bundle: compiled.bundle },
    );
  const production = explain({ namespace: "shop", namespaceLabels: { tier: "production", team: "web" } });
  assert.match(production, /Mapping #2 production \(.*, namespace labels tier=prod\*, team=web\)/);
  assert.match(production, /The 1 mapping before it did not match\./);
  const strict = explain({ annotations: { "cipolice.io/profile": "strict" } });
  assert.match(strict, /Mapping #1 strict \(.*, annotations cipolice\.io\/profile=strict\)/);
  assert.match(explain({}), /Mapping #3 rest \(registry \*, repository \*, tag \*\)/);
});
