import assert from "node:assert/strict";
import { test } from "node:test";
import { factsFor, fireTrigger, paramProblems } from "../../test/support/gates.js";
import type { GateSpec } from "./gate-types.js";
import { expressionGate } from "./gates/expression.js";

const gate = expressionGate as GateSpec;
const facts = factsFor({ ref: { registry: "docker.io", repository: "team-a/web", tag: "1.0" } });
const fires = (expression: string) => fireTrigger(gate, "condition", { expression }, facts).length > 0;

test("matches() keeps CEL's meaning on RE2: a match anywhere, anchors when written", () => {
  assert.equal(fires('image.repository.matches("a/w")'), true);
  assert.equal(fires('image.repository.matches("^web")'), false);
  assert.equal(fires('image.repository.matches("^team-[a-z]/web$")'), true);
  assert.equal(fires('image.repository.matches("(?i)^TEAM")'), true);
  assert.equal(fires('[image.tag].exists(t, t.matches("^1\\\\.0$"))'), true);
});

test("a literal matches() pattern RE2 cannot run is refused at validation", () => {
  const [problem] = paramProblems(gate, "condition", { expression: 'image.repository.matches("(a)\\\\1")' });
  assert.match(
    problem ?? "",
    /^invalid CEL expression: matches\("\(a\)\\\\1"\) at column \d+ is not a regular expression RE2 accepts \(invalid escape sequence: `\\1`\)/,
  );
  assert.match(
    paramProblems(gate, "condition", {
      expression: "true",
      message: '{{ image.tag.matches("(?=x)") }}',
    })[0] ?? "",
    /placeholder .* is not a regular expression RE2 accepts/,
  );
});

test("a pattern computed at evaluation that RE2 refuses fails the rule, not the process", () => {
  assert.throws(
    () => fires('image.repository.matches(image.tag + "(")'),
    /Cannot compile regular expression/,
  );
});
