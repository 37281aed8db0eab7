import type { ParseResult } from "@marcbachmann/cel-js";
import { RE2JS } from "re2js";
import { CipError } from "../model/index.js";

interface Node {
  op: string;
  args: unknown;
  pos?: number;
  handle?: unknown;
  meta?: { alternate?: Node; macro?: { val: Node; exp: Node } };
}

function isNode(value: unknown): value is Node {
  return typeof value === "object" && value !== null && "op" in value && "args" in value;
}

const cache = new Map<string, RE2JS>();

/** CEL's `matches`: RE2 syntax (as the CEL specification says), a match anywhere in the text. */
function re2Matches(text: string, pattern: string): boolean {
  let compiled = cache.get(pattern);
  if (!compiled) {
    try {
      compiled = RE2JS.compile(pattern);
    } catch (error) {
      throw new CipError(
        "CIP_REGEX_UNSUPPORTED",
        `Cannot compile regular expression ${JSON.stringify(pattern)}: ${(error as Error).message.replace(/^error parsing regexp: /, "")}`,
      );
    }
    if (cache.size > 1_000) cache.clear();
    cache.set(pattern, compiled);
  }
  return compiled.test(text);
}

/** Every `x.matches(p)` call of a parsed expression, after macro expansion. */
function matchesCalls(parsed: ParseResult): Node[] {
  const found: Node[] = [];
  const seen = new Set<Node>();
  const stack: Node[] = [parsed.ast as unknown as Node];
  while (stack.length > 0) {
    const node = stack.pop() as Node;
    if (seen.has(node)) continue;
    seen.add(node);
    if (node.meta?.alternate) stack.push(node.meta.alternate);
    if (node.meta?.macro && "exp" in node.meta.macro) stack.push(node.meta.macro.val, node.meta.macro.exp);
    if (node.op === "rcall" && Array.isArray(node.args) && node.args[0] === "matches") found.push(node);
    if (node.op === "value" || node.op === "id") continue;
    const collect = (value: unknown): void => {
      if (isNode(value)) stack.push(value);
      else if (Array.isArray(value)) for (const v of value) collect(v);
      else if (value && typeof value === "object" && node.op === "comprehension") {
        for (const v of Object.values(value)) if (isNode(v)) stack.push(v);
      }
    };
    collect(node.args);
  }
  return found;
}

/**
 * Checks the literal patterns of a parsed expression's `matches` calls: returns why the first one RE2
 * cannot compile (backreferences and lookaround included), or undefined when all compile.
 */
export function celRegexProblem(parsed: ParseResult): string | undefined {
  for (const node of matchesCalls(parsed)) {
    const [pattern] = (node.args as [string, Node, Node[]])[2];
    if (pattern?.op !== "value" || typeof pattern.args !== "string") continue;
    try {
      RE2JS.compile(pattern.args);
    } catch (error) {
      const reason = (error as Error).message.replace(/^error parsing regexp: /, "");
      return `matches(${JSON.stringify(pattern.args)}) at column ${(node.pos ?? 0) + 1} is not a regular expression RE2 accepts (${reason}); patterns run on RE2, in time linear in the text`;
    }
  }
  return undefined;
}

/**
 * Makes every `matches` call of a checked expression run on RE2: cel-js runs it on JavaScript's
 * backtracking RegExp, where a pattern such as `(a+)+$` takes exponential time on an image's strings.
 */
export function linearCelMatches(parsed: ParseResult): void {
  for (const node of matchesCalls(parsed)) {
    if (!("handle" in node)) throw new Error("cannot make CEL matches() linear: unsupported cel-js version");
    node.handle = (args: unknown[]) => {
      const [text, pattern] = args;
      if (typeof text !== "string" || typeof pattern !== "string") {
        throw new CipError("CIP_TRIGGER_ERROR", "matches() needs a string and a string pattern");
      }
      return re2Matches(text, pattern);
    };
  }
}
