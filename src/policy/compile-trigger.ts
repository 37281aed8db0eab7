import type { ErrorCode, RuleParam } from "../model/index.js";
import { type GateSpec, ParamValueError, type TriggerEvaluator, type TriggerSpec } from "./gate-types.js";
import { type ParamValue, parseParamValue, TriggerParams } from "./trigger-params.js";

/** A problem with one rule's parameters: which parameter (if any) and what is wrong. */
export interface ParamProblem {
  param?: string;
  message: string;
  /** The problem's code when it is more specific than CIP_BUNDLE_INVALID. */
  code?: ErrorCode;
}

/** The outcome of compiling one rule's trigger: an evaluator, or every problem found. */
export type CompiledTrigger<G = unknown> =
  | { ok: true; evaluator: TriggerEvaluator<G>; params: TriggerParams }
  | { ok: false; problems: ParamProblem[] };

/**
 * Checks a rule's parameters against the trigger's declared ones (unknown, missing required, wrong kind)
 * and compiles the trigger. Parameter names are matched case-insensitively, as anchore-engine does.
 */
export function compileTrigger<G>(
  gate: GateSpec<G>,
  trigger: TriggerSpec<G>,
  params: readonly RuleParam[],
): CompiledTrigger<G> {
  const problems: ParamProblem[] = [];
  const raw = new Map<string, string>();
  for (const p of params) {
    const name = p.name.toLowerCase();
    if (raw.has(name)) problems.push({ param: name, message: `parameter "${name}" is given twice` });
    raw.set(name, p.value);
  }
  const values = new Map<string, ParamValue>();
  for (const [name, value] of raw) {
    const spec = trigger.params.find((s) => s.name === name);
    if (!spec) {
      const known = trigger.params.map((s) => s.name);
      problems.push({
        param: name,
        message: `unknown parameter "${name}" for ${gate.name}/${trigger.name} (${known.length > 0 ? `expected one of: ${known.join(", ")}` : "it takes no parameters"})`,
      });
      continue;
    }
    const parsed = parseParamValue(spec, value);
    if ("expected" in parsed) {
      const shown = `parameter "${name}" has value ${JSON.stringify(value)}`;
      problems.push({
        param: name,
        message: parsed.which ? `${shown}, which ${parsed.which}` : `${shown}: expected ${parsed.expected}`,
        ...(parsed.code !== undefined ? { code: parsed.code } : {}),
      });
    } else {
      values.set(name, parsed.value);
    }
  }
  for (const spec of trigger.params) {
    if (spec.required && !raw.has(spec.name)) {
      problems.push({ param: spec.name, message: `required parameter "${spec.name}" is missing` });
    }
  }
  if (problems.length > 0) return { ok: false, problems };
  const parsedParams = new TriggerParams(values, raw);
  try {
    return { ok: true, evaluator: trigger.compile(parsedParams), params: parsedParams };
  } catch (error) {
    if (error instanceof ParamValueError) {
      const code = error.code !== undefined ? { code: error.code } : {};
      return { ok: false, problems: [{ param: error.param, message: error.message, ...code }] };
    }
    return { ok: false, problems: [{ message: `cannot compile: ${(error as Error).message}` }] };
  }
}
