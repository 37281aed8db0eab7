import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { planActions } from "./evaluate-rules.js";
import { parseRulesFile } from "./parse-rules-file.js";
import type { RuleSet } from "./rule-types.js";

function load(name: string): RuleSet {
  const text = readFileSync(new URL(`../../test/fixtures/rules/${name}`, import.meta.url), "utf8");
  return parseRulesFile(text, name, { allowUnknownActions: true });
}

describe("planActions on CIPolicE's example files", () => {
  it("cipolice-example.rules: the first two rules match, the third does not", () => {
    const message = { cve: "CVE-2020-7050", clairresult: -1, image: "nginx:latest", compromised: true };
    const plan = planActions(load("cipolice-example.rules"), message);
    assert.deepEqual(
      plan.actions.map((a) => a.text),
      ["containeractions.py:mark", "containeractions.py:notify"],
    );
    assert.deepEqual(
      plan.matched.map((p) => p.line),
      [1, 3],
    );
    assert.deepEqual(plan.notices, []);
    assert.equal(plan.stoppedAt, undefined);
  });

  it("clair.rules: the second rule's actions in order up to break; `level > 7` is never evaluated", () => {
    const set = load("clair.rules");
    const last = set.rules[2];
    assert.ok(last);
    let lastEvaluated = false;
    const original = last.condition;
    last.condition = {
      ...original,
      test(message) {
        lastEvaluated = true;
        return original.test(message);
      },
    };
    const plan = planActions(set, { image: "nginx:latest", level: 3 });
    assert.deepEqual(
      plan.actions.map((a) => [a.kind, a.text, a.at.line]),
      [
        ["unknown", "blockimage", 5],
        ["python-function", "containeractions.py:mark", 6],
        ["executable", "./label.sh", 7],
        ["webhook", "http://localhost:9999/webhook", 8],
      ],
    );
    assert.deepEqual(plan.stoppedAt, { file: "clair.rules", line: 9, column: 2 });
    assert.equal(lastEvaluated, false, "the rule after break was evaluated");
    assert.ok(!plan.actions.some((a) => a.target === "shouldnotbereached"));
  });

  it("clair.rules with a high level runs only the last rule; with no level, nothing, with notices", () => {
    const high = planActions(load("clair.rules"), { image: "x", level: 9 });
    assert.deepEqual(
      high.actions.map((a) => a.target),
      ["shouldnotbereached"],
    );
    const none = planActions(load("clair.rules"), { image: "x" });
    assert.deepEqual(none.actions, []);
    assert.deepEqual(none.notices, [
      "clair.rules:1:1: level is not in the message",
      "clair.rules:3:1: level is not in the message",
      "clair.rules:10:1: level is not in the message",
    ]);
  });

  it("meta.rules: labels decide which message is echoed", () => {
    const bare = planActions(load("meta.rules"), { image: "x", "size-mb": 187, labels: [] });
    assert.deepEqual(
      bare.actions.map((a) => a.args[0]),
      ["Not"],
    );
    const labelled = planActions(load("meta.rules"), { image: "x", labels: ["a=b"] });
    assert.deepEqual(
      labelled.actions.map((a) => a.args[0]),
      ["Great,"],
    );
  });

  it("a condition that throws unexpectedly is a non-match with a notice; the other rules still run", () => {
    const set = parseRulesFile("a == 1\n\tlog one\nb == 1\n\tlog two\n", "t.rules");
    const first = set.rules[0];
    assert.ok(first);
    first.condition = {
      ...first.condition,
      test() {
        throw new Error("boom");
      },
    };
    const plan = planActions(set, { a: 1, b: 1 });
    assert.deepEqual(
      plan.actions.map((a) => a.args[0]),
      ["two"],
    );
    assert.deepEqual(plan.notices, ["t.rules:1:1: the condition failed: boom"]);
  });
});
