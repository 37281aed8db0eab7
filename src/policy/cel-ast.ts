import type { ParseResult } from "@marcbachmann/cel-js";

/** A node of cel-js's syntax tree, as far as our checks read it. */
export interface CelNode {
  op: string;
  args: unknown;
  pos?: number;
  handle?: unknown;
  meta?: { alternate?: CelNode; macro?: CelBindMacro };
}

/** What type checking leaves on a `cel.bind` call (or, with `exp` absent, on another macro). */
export interface CelBindMacro {
  val: CelNode;
  exp: CelNode;
  bindCtx?: CelIterationContext;
}

/** The object a comprehension or bind sets its variable through, once per step. */
export interface CelIterationContext {
  setIterValue(value: unknown, evaluator: unknown): unknown;
}

/** True for a syntax tree node. */
export function isCelNode(value: unknown): value is CelNode {
  return typeof value === "object" && value !== null && "op" in value && "args" in value;
}

/** The nodes directly under a node as the parser wrote it (macros not expanded). */
export function celChildren(node: CelNode): CelNode[] {
  if (node.op === "value" || node.op === "id") return [];
  const found: CelNode[] = [];
  const collect = (value: unknown): void => {
    if (isCelNode(value)) found.push(value);
    else if (Array.isArray(value)) for (const v of value) collect(v);
  };
  collect(node.args);
  return found;
}

/**
 * Every node of a checked expression once, macros expanded: the comprehensions type checking put in place
 * of `map`, `exists` …, the parts of a `cel.bind`, and what the parser wrote. Iterative: trees may be deep.
 */
export function expandedCelNodes(parsed: ParseResult): CelNode[] {
  const seen = new Set<CelNode>();
  const stack: CelNode[] = [parsed.ast as unknown as CelNode];
  while (stack.length > 0) {
    const node = stack.pop() as CelNode;
    if (seen.has(node)) continue;
    seen.add(node);
    if (node.meta?.alternate) stack.push(node.meta.alternate);
    const macro = node.meta?.macro;
    if (macro && "exp" in macro) stack.push(macro.val, macro.exp);
    if (node.op === "comprehension" && node.args && typeof node.args === "object") {
      for (const part of Object.values(node.args)) if (isCelNode(part)) stack.push(part);
      continue;
    }
    stack.push(...celChildren(node));
  }
  return [...seen];
}
