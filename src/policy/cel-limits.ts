import type { ParseResult } from "@marcbachmann/cel-js";
import { CipError } from "../model/index.js";
import {
  celChildren as children,
  expandedCelNodes,
  type CelIterationContext as IterationContext,
  isCelNode as isNode,
  type CelNode as Node,
} from "./cel-ast.js";

/**
 * Deepest nesting of an expression's syntax tree, a chain of one operator (`a || b || c`) counting as one
 * level. Real conditions nest a handful of levels; 32 leaves ample room while keeping the library's
 * recursive checker and evaluator far from the stack's end.
 */
export const CEL_MAX_DEPTH = 32;

/**
 * Deepest nesting of comprehension macros (map, filter, exists, all, exists_one) and cel.bind. Cost grows
 * as list size to the power of this nesting: three nested loops over a thousand vulnerabilities are already
 * 10^9 steps, which the step budget stops; a fourth level has no use in a policy and is refused outright.
 */
export const CEL_MAX_COMPREHENSION_NESTING = 3;

/**
 * Comprehension steps (one per element a macro visits, one per cel.bind) one rule may take on one image,
 * across every item of for_each and every message placeholder. cel-js runs 8 to 18 million simple steps a
 * second here, so the budget bounds a rule to a fraction of a second and the lists it builds to tens of MB,
 * while a comparison of every package with every other still runs for images of up to ~1,400 packages.
 */
export const CEL_MAX_STEPS = 2_000_000;

const COMPREHENSIONS: ReadonlySet<string> = new Set(["map", "filter", "exists", "all", "exists_one"]);
const CHAINS: ReadonlySet<string> = new Set(["||", "&&", "+", "*"]);

/** Thrown when an expression nests deeper than a limit; the message says which and by how much. */
export class CelLimitError extends CipError {
  constructor(message: string) {
    super("CIP_EXPRESSION_BUDGET", message, {
      hint: "Split the condition into several rules, or flatten nested comprehensions.",
    });
  }
}

/** Thrown while evaluating when an expression has spent its step budget. */
export class CelBudgetError extends CipError {
  constructor(limit: number) {
    super(
      "CIP_EXPRESSION_BUDGET",
      `it needs more than ${limit} comprehension steps, the budget of one rule on one image`,
      { hint: "Narrow the lists the expression iterates over, or avoid nesting comprehensions over them." },
    );
  }
}

function isMacroCall(node: Node): boolean {
  if (node.op !== "rcall" || !Array.isArray(node.args)) return false;
  const [name, receiver] = node.args as [unknown, unknown];
  if (typeof name !== "string") return false;
  if (name === "bind") return isNode(receiver) && receiver.op === "id" && receiver.args === "cel";
  return COMPREHENSIONS.has(name) && node.meta?.alternate?.op === "comprehension";
}

/**
 * Checks a parsed expression against CEL_MAX_DEPTH and CEL_MAX_COMPREHENSION_NESTING. Throws CelLimitError
 * naming `subject`, the limit and the column where it is passed. The walk is iterative: the tree may be deep.
 */
export function checkCelLimits(parsed: ParseResult, subject = "the expression"): void {
  const stack: [Node, number, number][] = [[parsed.ast as unknown as Node, 1, 0]];
  while (stack.length > 0) {
    const [node, depth, nesting] = stack.pop() as [Node, number, number];
    const column = (node.pos ?? 0) + 1;
    if (depth > CEL_MAX_DEPTH) {
      throw new CelLimitError(
        `${subject} nests deeper than ${CEL_MAX_DEPTH} levels at column ${column}; at most ${CEL_MAX_DEPTH} are allowed, which keeps checking and evaluation bounded`,
      );
    }
    const macro = isMacroCall(node);
    const inner = macro ? nesting + 1 : nesting;
    if (inner > CEL_MAX_COMPREHENSION_NESTING) {
      throw new CelLimitError(
        `${subject} nests comprehensions (map, filter, exists, all, exists_one, cel.bind) ${inner} deep at column ${column}; at most ${CEL_MAX_COMPREHENSION_NESTING} are allowed, since each level multiplies the cost by the size of a list`,
      );
    }
    const receiver = macro ? (node.args as unknown[])[1] : undefined;
    for (const child of children(node)) {
      const childDepth = child.op === node.op && CHAINS.has(node.op) ? depth : depth + 1;
      // The list a macro iterates over runs once, outside the loop: it does not add a level.
      stack.push([child, childDepth, child === receiver ? nesting : inner]);
    }
  }
}

/** Counts comprehension steps against a limit; reset it before each evaluation of a rule on an image. */
export interface CelMeter {
  readonly limit: number;
  spent: number;
  /** True once the limit was passed, even when the expression swallowed the error (`err || true`). */
  exceeded: boolean;
  reset(): void;
  step(): void;
}

/** A meter of `limit` steps (CEL_MAX_STEPS by default). */
export function createCelMeter(limit = CEL_MAX_STEPS): CelMeter {
  return {
    limit,
    spent: 0,
    exceeded: false,
    reset() {
      this.spent = 0;
      this.exceeded = false;
    },
    step() {
      if (++this.spent <= this.limit) return;
      this.exceeded = true;
      throw new CelBudgetError(this.limit);
    },
  };
}

/**
 * Makes every comprehension and cel.bind of a checked expression count its steps on `meter`. cel-js has
 * no cost limit of its own; each loop it runs sets its iteration variable through a context object that
 * type checking leaves on the expanded node, and that is where a step is counted. Throws when an expected
 * context is missing (another cel-js version): an unmetered expression is never run.
 */
export function meterCel(parsed: ParseResult, meter: CelMeter): void {
  for (const node of expandedCelNodes(parsed)) {
    const bind = node.meta?.macro;
    if (bind && "exp" in bind) meterContext(bind.bindCtx, meter);
    if (node.op === "comprehension") {
      meterContext((node.args as { iterCtx?: IterationContext }).iterCtx, meter);
    }
  }
}

const METERED = Symbol("cipolice.celMeter");

function meterContext(context: IterationContext | undefined, meter: CelMeter): void {
  if (!context || typeof context.setIterValue !== "function") {
    throw new Error("cannot meter this CEL expression: the cel-js version in use is not supported");
  }
  const target = context as IterationContext & { [METERED]?: CelMeter };
  if (target[METERED]) return;
  const original = context.setIterValue;
  target[METERED] = meter;
  context.setIterValue = function (this: IterationContext, value: unknown, evaluator: unknown) {
    meter.step();
    return original.call(this, value, evaluator);
  };
}
