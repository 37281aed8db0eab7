import type { ParseResult } from "@marcbachmann/cel-js";
import { RE2JS } from "re2js";
import { CipError } from "../model/index.js";
import { expandedCelNodes, type CelNode as Node } from "./cel-ast.js";

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
  return expandedCelNodes(parsed).filter(
    (node) => node.op === "rcall" && Array.isArray(node.args) && node.args[0] === "matches",
  );
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
