import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { compileCelCondition } from "./cel-condition.js";
import { CONDITION_MAX_DEPTH, CONDITION_MAX_LENGTH, ConditionError } from "./condition-error.js";
import { compileRuleEngineCondition } from "./rule-engine-condition.js";
import type { RuleMessage } from "./rule-types.js";

interface Case {
  condition: string;
  language?: "cel";
  message?: RuleMessage;
  matched?: boolean;
  notice?: string;
  error?: { column: number; contains: string };
}

const table = parse(
  readFileSync(new URL("../../test/cases/rule-conditions.yaml", import.meta.url), "utf8"),
) as { message: RuleMessage; cases: Case[] };

function compile(c: Case) {
  return c.language === "cel" ? compileCelCondition(c.condition) : compileRuleEngineCondition(c.condition);
}

describe("rule conditions table (test/cases/rule-conditions.yaml)", () => {
  for (const c of table.cases) {
    const label = `${c.language ?? "rule_engine"}: ${c.condition || "(empty)"}`;
    it(label, () => {
      if (c.error) {
        assert.throws(
          () => compile(c),
          (error: unknown) => {
            assert.ok(error instanceof ConditionError, `expected a ConditionError, got ${String(error)}`);
            assert.match(
              error.reason,
              new RegExp(c.error?.contains.replace(/[.*+?^${}()|[\]\\]/g, "\\$&") ?? ""),
            );
            assert.equal(error.column, c.error?.column, `column of: ${error.reason}`);
            return true;
          },
        );
        return;
      }
      const result = compile(c).test(c.message ?? table.message);
      assert.equal(result.matched, c.matched, JSON.stringify(result));
      if (c.notice === undefined)
        assert.equal(result.notice, undefined, `unexpected notice: ${result.notice}`);
      else
        assert.ok(
          result.notice?.includes(c.notice),
          `notice ${JSON.stringify(result.notice)} lacks ${c.notice}`,
        );
    });
  }
});

describe("hostile conditions are bounded", () => {
  it("refuses nesting deeper than the limit, at load time, with a column", () => {
    const deep = `${"(".repeat(CONDITION_MAX_DEPTH + 5)}level${")".repeat(CONDITION_MAX_DEPTH + 5)}`;
    assert.throws(() => compileRuleEngineCondition(deep), /nests deeper than 32 levels/);
    const nots = `${"not ".repeat(1000)}level`;
    assert.throws(() => compileRuleEngineCondition(nots), /nests deeper/);
    // Nesting within the limit still works.
    const ok = `${"(".repeat(20)}level == 3${")".repeat(20)}`;
    assert.equal(compileRuleEngineCondition(ok).test({ level: 3 }).matched, true);
  });

  it("refuses a condition longer than the limit", () => {
    const long = `level == 1${" or level == 1".repeat(CONDITION_MAX_LENGTH / 10)}`;
    assert.throws(() => compileRuleEngineCondition(long), /longer than 4096 characters/);
    assert.throws(() => compileCelCondition(long.replaceAll(" or ", " || ")), /longer than 4096 characters/);
  });

  it("a long chain within the limit compiles and evaluates without exhausting the stack", () => {
    const chain = `l == 0${" or l == 0".repeat(380)} or l == 3`;
    assert.equal(compileRuleEngineCondition(chain).test({ l: 3 }).matched, true);
  });

  it("runs a catastrophic pattern in linear time on a long text", () => {
    const condition = compileRuleEngineCondition('text =~ "(a+)+$"');
    const text = `${"a".repeat(100_000)}!`;
    const started = performance.now();
    assert.equal(condition.test({ text }).matched, false);
    assert.ok(performance.now() - started < 2_000, "RE2 matching took too long");
    const fromMessage = compileRuleEngineCondition("text =~~ pattern");
    const again = performance.now();
    assert.equal(fromMessage.test({ text, pattern: "(a|aa)+$" }).matched, false);
    assert.ok(performance.now() - again < 2_000, "a pattern from the message took too long");
  });

  it("refuses a huge pattern: at load time when literal, with a notice when it comes from the message", () => {
    const started = performance.now();
    assert.throws(
      () => compileRuleEngineCondition(`image =~ "${"((((a{1000}){1000}){1000}){1000})"}"`),
      ConditionError,
    );
    assert.ok(performance.now() - started < 2_000);
    const fromMessage = compileRuleEngineCondition("image =~ pattern").test({
      image: "a",
      pattern: "a".repeat(10_000),
    });
    assert.equal(fromMessage.matched, false);
    assert.match(fromMessage.notice ?? "", /longer than 4096 characters/);
  });

  it("does not read fields from the message's prototype", () => {
    const result = compileRuleEngineCondition("constructor == null").test({});
    assert.deepEqual(result, { matched: false, notice: "constructor is not in the message" });
    const nested = compileRuleEngineCondition("a.toString == null").test({ a: {} });
    assert.equal(nested.matched, false);
  });

  it("stops a CEL condition that spends its comprehension budget", () => {
    const big = Array.from({ length: 2_000 }, (_, i) => i);
    const condition = compileCelCondition("xs.exists(a, xs.exists(b, xs.exists(c, a + b + c < 0)))");
    const started = performance.now();
    const result = condition.test({ xs: big });
    assert.equal(result.matched, false);
    assert.match(result.notice ?? "", /comprehension steps/);
    assert.ok(performance.now() - started < 5_000);
  });
});
