import { CONDITION_MAX_LENGTH, ConditionError } from "./condition-error.js";
import { parseCondition } from "./rule-engine-ast.js";
import { evaluateNode, NoDecision, truthy } from "./rule-engine-evaluate.js";
import type { CompiledCondition, RuleMessage } from "./rule-types.js";

/**
 * Compiles a condition written in the syntax of Python's rule_engine, as CIPolicE's rules files have them:
 * `level >= 3 and level <= 7`, `cve != ""`, `labels == []`, `compromised == true`, `"x" in tags`,
 * `image =~ "nginx:.*"`, `decision.status == "fail"`.
 *
 * Supported: literals (strings in single or double quotes with `s`/`r` prefixes, numbers in decimal, hex,
 * octal and binary, `true`, `false`, `null`, `inf`, `nan`, lists), symbols (the message's top-level fields),
 * attribute access `a.b` and `a&.b`, item access `a[0]`, `a["k"]`, `a&["k"]`, `not`, `and`, `or`, `== !=`,
 * `< <= > >=`, `in` and `not in`, `=~` (match at the start), `=~~` (search), `!~`, `!~~`, `+ - * / // % **`,
 * `? :` and `#` comments. Not supported (a load-time error): `$` builtins, function calls, bitwise operators,
 * mappings, sets, datetimes and comprehensions; write those conditions in CEL.
 *
 * As with rule_engine: values of different types are never equal; ordering them is an error; a field a
 * condition reads that the message lacks is an error. CIPolicE counted either error as a non-match; here it
 * is a non-match with a notice saying why ("level is not in the message"). `and`/`or` short-circuit, so a
 * field on the side not evaluated may be absent. Regular expressions use Python's syntax and run on RE2.
 * Throws ConditionError (with a column) for a syntax error, an unusable literal pattern or a too-deep nesting.
 */
export function compileRuleEngineCondition(text: string): CompiledCondition {
  if (text.length > CONDITION_MAX_LENGTH) {
    throw new ConditionError(
      "CIP_EXPRESSION_BUDGET",
      CONDITION_MAX_LENGTH + 1,
      `the condition is longer than ${CONDITION_MAX_LENGTH} characters`,
    );
  }
  if (text.replace(/#.*$/, "").trim() === "") {
    throw new ConditionError("CIP_EXPRESSION_INVALID", 1, "the condition is empty");
  }
  const tree = parseCondition(text);
  return {
    text,
    language: "rule_engine",
    test(message: RuleMessage) {
      try {
        return { matched: truthy(evaluateNode(tree, message, text)) };
      } catch (error) {
        if (error instanceof NoDecision) return { matched: false, notice: error.message };
        throw error;
      }
    },
  };
}
