import type { ParseResult } from "@marcbachmann/cel-js";
import { CipError } from "../../model/index.js";
import { CelLimitError, type CelMeter, checkCelLimits, createCelMeter, meterCel } from "../cel-limits.js";
import { celRuleNeeds } from "../cel-needs.js";
import { celRegexProblem, linearCelMatches } from "../cel-regex.js";
import { type CelTemplate, celErrorSummary, compileCelTemplate, formatCelValue } from "../cel-template.js";
import {
  type CelItemKind,
  type CelPackage,
  type CelVariables,
  type CelVulnerability,
  celEnvironment,
  celVariables,
} from "../cel-variables.js";
import { type GateSpec, ParamValueError } from "../gate-types.js";

const FOR_EACH: readonly CelItemKind[] = ["none", "vulnerabilities", "packages"];

/** `expression/condition`: fires when a CEL expression over the image facts is true (CIPolicE extension). */
export const expressionGate: GateSpec<CelVariables> = {
  name: "expression",
  // Any variable may be read; `condition` narrows this to the expression's own variables.
  needs: ["reference", "digest", "config", "reports"],
  description:
    "CEL expressions over the image facts (image, config, vulnerabilities, packages, distro, platform, size, layerCount, context, now).",
  prepare: (facts, now) => celVariables(facts, now),
  triggers: [
    {
      name: "condition",
      description:
        "Fires when the expression is true; with for_each, once per vulnerability (`vuln`) or package (`pkg`) for which it is true.",
      params: [
        {
          name: "expression",
          description: "A CEL expression that returns a bool.",
          kind: "string",
          required: true,
          example: 'vulnerabilities.exists(v, v.severity == "critical" && v.fixAvailable)',
        },
        {
          name: "message",
          description:
            "The hit's message; `{{ expr }}` placeholders are CEL expressions over the same variables.",
          kind: "string",
          default: "Expression matched: <expression>",
          example: "{{ vuln.id }} in {{ vuln.package.name }} has a fix: {{ vuln.fixVersions }}",
        },
        {
          name: "for_each",
          description:
            "Evaluate once per vulnerability (bound as `vuln`, trigger id `<vuln id>+<package name>`) or package (bound as `pkg`, trigger id `<name>@<version>`).",
          kind: "enum",
          values: FOR_EACH,
          default: "none",
        },
      ],
      // The variables the condition and the message read decide it: `image.tag` alone needs no lookup.
      needs: (params) =>
        celRuleNeeds({
          expression: params.string("expression") ?? "",
          message: params.string("message"),
          forEach: params.string("for_each") as CelItemKind | undefined,
        }),
      compile(params) {
        const source = params.string("expression") ?? "";
        const forEach = (params.string("for_each") ?? "none") as CelItemKind;
        // One budget for the rule on one image: the condition and the message, for every item.
        const meter = createCelMeter();
        const condition = compileCondition(source, forEach, meter);
        const shown = source.trim().replace(/\s+/g, " ");
        const template = compileMessage(params.string("message"), forEach, meter);
        return (ctx) => {
          meter.reset();
          const variables = ctx.gate ?? celVariables(ctx.facts, ctx.now);
          const run = { meter, shown };
          if (forEach === "none") {
            if (evaluateCondition(condition, variables, run, undefined)) {
              ctx.fire({ message: renderMessage(template, variables, run, undefined) });
            }
            return;
          }
          const items: (CelVulnerability | CelPackage)[] =
            forEach === "vulnerabilities" ? variables.vulnerabilities : variables.packages;
          // One scope reused for every item: copying the variables per item costs more than the evaluation.
          const scope: Record<string, unknown> = { ...variables };
          const name = forEach === "vulnerabilities" ? "vuln" : "pkg";
          for (const item of items) {
            scope[name] = item;
            if (!evaluateCondition(condition, scope, run, item)) continue;
            ctx.fire({ message: renderMessage(template, scope, run, item), instanceId: itemId(item) });
          }
        };
      },
    },
  ],
};

function compileCondition(source: string, forEach: CelItemKind, meter: CelMeter): ParseResult {
  if (source.trim() === "")
    throw new ParamValueError("expression", "invalid CEL expression: the expression is empty");
  let condition: ParseResult;
  try {
    condition = celEnvironment(forEach).parse(source);
  } catch (error) {
    throw new ParamValueError("expression", `invalid CEL expression: ${(error as Error).message}`);
  }
  try {
    checkCelLimits(condition);
  } catch (error) {
    if (!(error instanceof CelLimitError)) throw error;
    throw new ParamValueError("expression", `CEL expression refused: ${error.message}`, error.code);
  }
  const checked = condition.check();
  if (!checked.valid) {
    const problem = checked.error?.message ?? "it does not type-check";
    throw new ParamValueError("expression", `invalid CEL expression: ${problem}${itemVariableHint(problem)}`);
  }
  if (checked.type !== "bool" && checked.type !== "dyn") {
    throw new ParamValueError("expression", `invalid CEL expression: it returns ${checked.type}, not bool`);
  }
  const regexProblem = celRegexProblem(condition);
  if (regexProblem) {
    throw new ParamValueError(
      "expression",
      `invalid CEL expression: ${regexProblem}`,
      "CIP_REGEX_UNSUPPORTED",
    );
  }
  linearCelMatches(condition);
  meterCel(condition, meter);
  return condition;
}

function compileMessage(
  message: string | undefined,
  forEach: CelItemKind,
  meter: CelMeter,
): CelTemplate | undefined {
  // An empty message (as some bundle editors write) means the default one.
  if (message === undefined || message.trim() === "") return undefined;
  try {
    return compileCelTemplate(celEnvironment(forEach), message, meter);
  } catch (error) {
    if (error instanceof CelLimitError)
      throw new ParamValueError("message", `message template refused: ${error.message}`, error.code);
    throw new ParamValueError("message", `invalid message template: ${(error as Error).message}`);
  }
}

function itemVariableHint(problem: string): string {
  if (problem.startsWith("Unknown variable: vuln"))
    return '\n(`vuln` is bound only with for_each "vulnerabilities")';
  if (problem.startsWith("Unknown variable: pkg")) return '\n(`pkg` is bound only with for_each "packages")';
  return "";
}

type Item = CelVulnerability | CelPackage | undefined;

/** What every evaluation of one rule on one image shares: its step meter and the expression as shown. */
interface Run {
  meter: CelMeter;
  shown: string;
}

function evaluateCondition(condition: ParseResult, variables: object, run: Run, item: Item): boolean {
  let result: unknown;
  try {
    result = condition(variables);
  } catch (error) {
    throw run.meter.exceeded
      ? budgetError(run, item)
      : evaluationError(run.shown, celErrorSummary(error), item);
  }
  // CEL's `||` and `&&` absorb an error when the other side decides: a spent budget still fails the rule.
  if (run.meter.exceeded) throw budgetError(run, item);
  if (typeof result !== "boolean") {
    throw evaluationError(run.shown, `it returned ${formatCelValue(result)}, not a bool`, item);
  }
  return result;
}

function renderMessage(template: CelTemplate | undefined, variables: object, run: Run, item: Item): string {
  if (!template)
    return item === undefined
      ? `Expression matched: ${run.shown}`
      : `Expression matched for ${itemLabel(item)}: ${run.shown}`;
  let message: string;
  try {
    message = template(variables as Record<string, unknown>);
  } catch (error) {
    throw run.meter.exceeded
      ? budgetError(run, item)
      : evaluationError(run.shown, `the message ${(error as Error).message}`, item);
  }
  if (run.meter.exceeded) throw budgetError(run, item);
  return message;
}

function evaluationError(shown: string, problem: string, item: Item): CipError {
  const place = item === undefined ? "" : ` (${itemLabel(item)})`;
  return new CipError(
    "CIP_TRIGGER_ERROR",
    `Cannot evaluate CEL expression ${JSON.stringify(shown)}: ${problem}${place}`,
  );
}

function budgetError(run: Run, item: Item): CipError {
  const place = item === undefined ? "" : ` (stopped at ${itemLabel(item)})`;
  return new CipError(
    "CIP_EXPRESSION_BUDGET",
    `Cannot evaluate CEL expression ${JSON.stringify(run.shown)}: it needs more than ${run.meter.limit} comprehension steps, the budget of one rule on one image${place}`,
    { hint: "Narrow the lists the expression iterates over, or avoid nesting comprehensions over them." },
  );
}

function isVulnerability(item: CelVulnerability | CelPackage): item is CelVulnerability {
  return "severity" in item;
}

function itemLabel(item: CelVulnerability | CelPackage): string {
  return isVulnerability(item)
    ? `vulnerability ${item.id} in package ${packageLabel(item.package)}`
    : `package ${packageLabel(item)}`;
}

/** Vulnerabilities: `<id>+<package name>`, the shape of the vulnerabilities gate ids, so allowlists can target them. */
function itemId(item: CelVulnerability | CelPackage): string {
  if (isVulnerability(item)) return `${item.id}+${item.package.name}`;
  return item.version ? `${item.name}@${item.version}` : item.name;
}

function packageLabel(pkg: CelPackage): string {
  return pkg.version ? `${pkg.name}-${pkg.version}` : pkg.name;
}
