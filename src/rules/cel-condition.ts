import { Environment, type ParseResult } from "@marcbachmann/cel-js";
import { CelLimitError, checkCelLimits, createCelMeter, meterCel } from "../policy/cel-limits.js";
import { celRegexProblem, linearCelMatches } from "../policy/cel-regex.js";
import { CONDITION_MAX_LENGTH, ConditionError } from "./condition-error.js";
import type { CompiledCondition, RuleMessage } from "./rule-types.js";

/** The prefix that marks a rules-file condition as CEL: `cel: level >= 3 && image.startsWith("nginx")`. */
export const CEL_PREFIX = "cel:";

let environment: Environment | undefined;

/** Every top-level field of the message is a variable of type dyn; `message` is the whole message, as a map. */
function celEnvironment(): Environment {
  environment ??= new Environment({
    unlistedVariablesAreDyn: true,
    homogeneousAggregateLiterals: false,
  }).registerVariable("message", "map", { description: "The whole message (for fields such as size-mb)" });
  return environment;
}

/**
 * Compiles a CEL condition (the text after `cel:`). The message's top-level fields are variables (`level`,
 * `image`, `decision.status`); `message` is the whole message, for fields whose names are not identifiers
 * (`message["size-mb"] > 100`) and for `has(message.cve)`. A field named `message` is reached as
 * `message.message`. The policy engine's CEL limits apply: nesting depth, comprehension nesting, a step budget
 * per evaluation, and `matches()` on RE2. A missing field is a non-match with a notice, as in rule_engine
 * conditions; so is a runtime type error. Throws ConditionError (with a column) when it does not compile.
 */
export function compileCelCondition(text: string): CompiledCondition {
  if (text.length > CONDITION_MAX_LENGTH) {
    throw new ConditionError(
      "CIP_EXPRESSION_BUDGET",
      CONDITION_MAX_LENGTH + 1,
      `the condition is longer than ${CONDITION_MAX_LENGTH} characters`,
    );
  }
  if (text.trim() === "") throw new ConditionError("CIP_EXPRESSION_INVALID", 1, "the CEL condition is empty");
  let parsed: ParseResult;
  try {
    parsed = celEnvironment().parse(text);
  } catch (error) {
    throw new ConditionError("CIP_EXPRESSION_INVALID", celColumn(error), celReason(error));
  }
  try {
    checkCelLimits(parsed, "the condition");
  } catch (error) {
    if (!(error instanceof CelLimitError)) throw error;
    throw new ConditionError("CIP_EXPRESSION_BUDGET", 1, error.message);
  }
  const checked = parsed.check();
  if (!checked.valid) {
    throw new ConditionError("CIP_EXPRESSION_INVALID", celColumn(checked.error), celReason(checked.error));
  }
  if (checked.type !== "bool" && checked.type !== "dyn") {
    throw new ConditionError("CIP_EXPRESSION_INVALID", 1, `the condition returns ${checked.type}, not bool`);
  }
  const regexProblem = celRegexProblem(parsed);
  if (regexProblem) throw new ConditionError("CIP_REGEX_UNSUPPORTED", 1, regexProblem);
  linearCelMatches(parsed);
  const meter = createCelMeter();
  meterCel(parsed, meter);
  return {
    text,
    language: "cel",
    test(message: RuleMessage) {
      meter.reset();
      let result: unknown;
      try {
        result = parsed({ ...message, message });
      } catch (error) {
        return { matched: false, notice: meter.exceeded ? budgetNotice(meter.limit) : runtimeNotice(error) };
      }
      // `||` and `&&` absorb an error when the other side decides: a spent budget still counts.
      if (meter.exceeded) return { matched: false, notice: budgetNotice(meter.limit) };
      if (typeof result !== "boolean")
        return { matched: false, notice: "the CEL condition did not return a bool" };
      return { matched: result };
    },
  };
}

function budgetNotice(limit: number): string {
  return `the CEL condition needs more than ${limit} comprehension steps, its budget per message`;
}

/** "Unknown variable: level" and "No such key: size-mb" are missing fields; anything else is said as is. */
function runtimeNotice(error: unknown): string {
  const reason = celReason(error);
  const unknown = /^Unknown variable: (\S+)/.exec(reason);
  if (unknown) return `${unknown[1]} is not in the message`;
  const noKey = /^No such key: (.+)$/.exec(reason);
  if (noKey) return `${noKey[1]} is not in the message`;
  return reason;
}

function celReason(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const summary = "summary" in error && typeof error.summary === "string" ? error.summary : error.message;
  return summary.split("\n")[0] ?? summary;
}

function celColumn(error: unknown): number {
  const start =
    error instanceof Error && "range" in error
      ? (error.range as { start?: number } | undefined)?.start
      : undefined;
  return typeof start === "number" ? start + 1 : 1;
}
