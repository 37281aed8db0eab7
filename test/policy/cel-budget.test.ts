import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { test } from "node:test";
import type { ImageFacts } from "../../src/model/index.js";
import { CEL_MAX_COMPREHENSION_NESTING, CEL_MAX_DEPTH, CEL_MAX_STEPS } from "../../src/policy/cel-limits.js";
import { compileBundle } from "../../src/policy/compile-bundle.js";
import { evaluate } from "../../src/policy/evaluate.js";
import { REPO_ROOT } from "../support/corpus.js";
import { factsFor, TEST_NOW } from "../support/gates.js";
import { oneRuleBundle } from "../support/one-rule-bundle.js";

const TEN = "[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]";

function problemsOf(params: Record<string, string>) {
  const { compiled, problems } = compileBundle(oneRuleBundle("expression", "condition", params));
  assert.equal(compiled, undefined);
  return problems;
}

function evaluateRule(params: Record<string, string>, facts: ImageFacts) {
  const { compiled, problems } = compileBundle(oneRuleBundle("expression", "condition", params));
  assert.ok(compiled, problems.map((p) => p.message).join("\n"));
  const started = performance.now();
  const decision = evaluate(compiled, facts, { now: TEST_NOW, imageRef: "docker.io/library/big:1" });
  return { decision, ms: performance.now() - started };
}

function withPackages(n: number): ImageFacts {
  return factsFor({
    packages: Array.from({ length: n }, (_, i) => ({ name: `pkg${i}`, version: "1.0", type: "deb" })),
  });
}

function nestedMaps(levels: number): string {
  let body = "x0";
  for (let i = levels - 1; i >= 0; i--) body = `${TEN}.map(x${i}, ${body})`;
  return `size(${body}) > 0`;
}

test("eight nested maps over ten-element lists are refused at validation, naming the rule and the limit", () => {
  const problems = problemsOf({ expression: nestedMaps(8) });
  assert.equal(problems.length, 1);
  const [problem] = problems;
  assert.equal(problem?.code, "CIP_EXPRESSION_BUDGET");
  assert.equal(problem?.ruleId, "r");
  assert.equal(problem?.param, "expression");
  assert.match(
    problem?.message ?? "",
    new RegExp(
      `^policy "p" rule "r" \\(expression/condition\\): CEL expression refused: the expression nests comprehensions \\(map, filter, exists, all, exists_one, cel\\.bind\\) 4 deep at column \\d+; at most ${CEL_MAX_COMPREHENSION_NESTING} are allowed`,
    ),
  );
});

test("three nested comprehensions validate; a receiver's comprehension does not count as nesting", () => {
  const ok = compileBundle(oneRuleBundle("expression", "condition", { expression: nestedMaps(3) }));
  assert.ok(ok.compiled);
  const chained = `size(${TEN}.map(a, a).map(b, b).filter(c, c > 1).map(d, ${TEN}.map(e, ${TEN}.exists(f, f == e)))) > 0`;
  assert.ok(compileBundle(oneRuleBundle("expression", "condition", { expression: chained })).compiled);
  const bound = "cel.bind(a, [1], cel.bind(b, a + a, cel.bind(c, b + b, cel.bind(d, c + c, size(d) > 0))))";
  assert.match(problemsOf({ expression: bound })[0]?.message ?? "", /4 deep/);
});

test("nesting deeper than the depth limit is refused; a long chain of one operator is not nesting", () => {
  const deep = `${"!".repeat(CEL_MAX_DEPTH + 2)}true`;
  assert.match(
    problemsOf({ expression: deep })[0]?.message ?? "",
    new RegExp(
      `nests deeper than ${CEL_MAX_DEPTH} levels at column \\d+; at most ${CEL_MAX_DEPTH} are allowed`,
    ),
  );
  const chain = Array.from({ length: 200 }, (_, i) => `image.tag == "v${i}"`).join(" || ");
  assert.ok(compileBundle(oneRuleBundle("expression", "condition", { expression: chain })).compiled);
});

test("message placeholders are held to the same limits", () => {
  const problems = problemsOf({ expression: "true", message: `{{ ${nestedMaps(4)} }}` });
  assert.equal(problems[0]?.code, "CIP_EXPRESSION_BUDGET");
  assert.equal(problems[0]?.param, "message");
  assert.match(
    problems[0]?.message ?? "",
    /message template refused: placeholder \{\{ .* \}\} nests comprehensions/,
  );
});

test("an expression that validates but is too costly for the image's data becomes an error row quickly", () => {
  const expression =
    "packages.exists(a, packages.exists(b, packages.exists(c, a.name == b.name && b.name == c.name && a.version != c.version)))";
  const { decision, ms } = evaluateRule({ expression }, withPackages(2_000));
  assert.ok(ms < 2_000, `took ${ms.toFixed(0)} ms`);
  assert.equal(decision.results.length, 1);
  const [row] = decision.results;
  assert.equal(row?.status, "error");
  assert.equal(row?.errorCode, "CIP_EXPRESSION_BUDGET");
  assert.equal(row?.effectiveAction, "warn");
  assert.match(row?.message ?? "", new RegExp(`needs more than ${CEL_MAX_STEPS} comprehension steps`));
  assert.ok(decision.problems.some((p) => p.code === "CIP_EXPRESSION_BUDGET" && p.ruleId === "r"));
});

test("a spent budget fails the rule even when `||` would absorb the error", () => {
  const expression = "packages.exists(a, packages.exists(b, packages.exists(c, false))) || true";
  const { decision } = evaluateRule({ expression }, withPackages(2_000));
  assert.equal(decision.results[0]?.errorCode, "CIP_EXPRESSION_BUDGET");
});

test("the budget is shared by every item of for_each and the message", () => {
  // 2,000 items x 2,000 steps: each item is cheap, the rule on the image is not.
  const { decision, ms } = evaluateRule(
    { expression: 'packages.all(b, b.name != "")', for_each: "packages" },
    withPackages(2_000),
  );
  assert.ok(ms < 2_000, `took ${ms.toFixed(0)} ms`);
  // Items evaluated before the budget ran out keep their hits; the rule then ends in one error row.
  const errors = decision.results.filter((r) => r.status === "error");
  assert.equal(errors.length, 1);
  assert.equal(decision.results.at(-1), errors[0]);
  assert.equal(errors[0]?.errorCode, "CIP_EXPRESSION_BUDGET");
  assert.match(errors[0]?.message ?? "", /stopped at package pkg1000-1\.0\)$/);
  const message = evaluateRule(
    { expression: "true", message: "{{ packages.map(a, packages.map(b, b.name)).size() }}" },
    withPackages(2_000),
  );
  assert.equal(message.decision.results[0]?.errorCode, "CIP_EXPRESSION_BUDGET");
});

test("within the budget, expressions evaluate as before", () => {
  const { decision } = evaluateRule(
    { expression: 'packages.exists(a, packages.exists(b, a.name == b.name && a.name == "pkg7"))' },
    withPackages(500),
  );
  assert.equal(decision.results[0]?.status, "fired");
});

test("the expensive case keeps peak memory low in a process of its own", () => {
  const expression = "size(packages.map(a, packages.map(b, packages.map(c, c.name)))) > 0";
  const child = spawnSync(
    process.execPath,
    ["--import", "tsx", join(REPO_ROOT, "test/support/cel-budget-child.ts"), expression, "2000"],
    { cwd: REPO_ROOT, encoding: "utf8", timeout: 60_000 },
  );
  assert.equal(child.status, 0, child.stderr);
  const result = JSON.parse(child.stdout) as {
    status: string;
    errorCode: string;
    ms: number;
    maxRssKb: number;
  };
  assert.equal(result.status, "error");
  assert.equal(result.errorCode, "CIP_EXPRESSION_BUDGET");
  assert.ok(result.ms < 2_000, `took ${result.ms.toFixed(0)} ms`);
  // Without the budget this expression builds 8e9 list elements; with it the process stays near its baseline.
  assert.ok(result.maxRssKb < 400 * 1024, `peak RSS ${Math.round(result.maxRssKb / 1024)} MB`);
});
