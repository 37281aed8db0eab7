import type { ParseResult } from "@marcbachmann/cel-js";
import { type CelNode, expandedCelNodes, isCelNode } from "./cel-ast.js";
import { type CelItemKind, celEnvironment } from "./cel-variables.js";
import type { DataNeed, DataNeeds } from "./gate-types.js";

/** Every kind of data: what an expression is taken to read when it cannot be told. */
const ALL: DataNeeds = ["reference", "digest", "config", "reports"];

/** What each top-level CEL variable reads (`image` by field, below). `context` and `now` come with the request. */
const VARIABLE_NEEDS: Readonly<Record<string, DataNeeds>> = {
  config: ["config"],
  platform: ["config"],
  size: ["config"],
  layerCount: ["config"],
  vulnerabilities: ["reports"],
  packages: ["reports"],
  distro: ["reports"],
  vuln: ["reports"],
  pkg: ["reports"],
  context: [],
  now: [],
};

/**
 * The fields of `image`: registry, repository and tag are the reference; `digest` is the manifest digest,
 * resolved when the reference does not pin one; `id` is the config digest, which only the registry knows.
 */
const IMAGE_FIELD_NEEDS: Readonly<Record<string, DataNeed>> = {
  registry: "reference",
  repository: "reference",
  tag: "reference",
  digest: "digest",
  id: "config",
};

// Names an identifier node may carry that are no variable: type names in `type(x) == int`, the `cel.` namespace.
const NOT_VARIABLES: ReadonlySet<string> = new Set([
  "bool",
  "bytes",
  "cel",
  "double",
  "dyn",
  "google",
  "int",
  "list",
  "map",
  "null_type",
  "string",
  "type",
  "uint",
]);

/** The CEL parts of an `expression/condition` rule. */
export interface CelRuleSources {
  expression: string;
  /** The message template, whose `{{ … }}` placeholders are CEL over the same variables. */
  message?: string | undefined;
  forEach?: CelItemKind | undefined;
}

/**
 * The data an expression rule reads, from the top-level variables its condition and message placeholders
 * use. A variable bound inside the expression (a comprehension's or `cel.bind`'s) reads nothing of its own;
 * one that shadows a top-level name counts as that variable (over-counting is safe). An expression that
 * cannot be parsed or names something unknown reads everything.
 */
export function celRuleNeeds(sources: CelRuleSources): DataNeeds {
  const forEach = sources.forEach ?? "none";
  const needs = new Set<DataNeed>(forEach === "none" ? [] : ["reports"]);
  const texts = [sources.expression, ...placeholders(sources.message ?? "")];
  for (const text of texts) {
    const found = expressionNeeds(text, forEach);
    if (found === undefined) return ALL;
    for (const need of found) needs.add(need);
  }
  return [...needs];
}

function expressionNeeds(source: string, forEach: CelItemKind): Set<DataNeed> | undefined {
  let parsed: ParseResult;
  try {
    parsed = celEnvironment(forEach).parse(source);
    // Type checking expands the macros, which shows the names comprehensions and binds introduce.
    if (!parsed.check().valid) return undefined;
  } catch {
    return undefined;
  }
  const nodes = expandedCelNodes(parsed);
  const bound = boundNames(nodes);
  const needs = new Set<DataNeed>();
  // `image.<field>` reads that field only; `image` used whole (passed on, indexed) reads every field.
  const imageFields = new Set<CelNode>();
  for (const node of nodes) {
    if (node.op !== "." || !Array.isArray(node.args)) continue;
    const [object, field] = node.args as unknown[];
    if (!isCelNode(object) || object.op !== "id" || object.args !== "image" || typeof field !== "string")
      continue;
    const need = IMAGE_FIELD_NEEDS[field];
    if (need === undefined) return undefined;
    needs.add(need);
    imageFields.add(object);
  }
  for (const node of nodes) {
    if (node.op !== "id" || typeof node.args !== "string") continue;
    const name = node.args;
    if (name === "image") {
      if (!imageFields.has(node)) for (const need of Object.values(IMAGE_FIELD_NEEDS)) needs.add(need);
      continue;
    }
    if (Object.hasOwn(VARIABLE_NEEDS, name)) {
      for (const need of VARIABLE_NEEDS[name] ?? []) needs.add(need);
    } else if (!bound.has(name) && !NOT_VARIABLES.has(name)) {
      return undefined;
    }
  }
  return needs;
}

/** Names the expression binds itself: comprehension variables (after macro expansion) and `cel.bind` names. */
function boundNames(nodes: readonly CelNode[]): Set<string> {
  const names = new Set<string>();
  for (const node of nodes) {
    if (node.op === "comprehension" && node.args && typeof node.args === "object") {
      for (const [key, value] of Object.entries(node.args)) {
        if (/var/i.test(key) && typeof value === "string") names.add(value);
      }
    }
    const macro = node.meta?.macro as { var?: unknown } | undefined;
    if (macro && typeof macro.var === "string") names.add(macro.var);
  }
  return names;
}

/** The sources of a message template's `{{ … }}` placeholders (an unclosed one ends the list). */
function placeholders(template: string): string[] {
  const found: string[] = [];
  let at = 0;
  for (;;) {
    const open = template.indexOf("{{", at);
    if (open < 0) return found;
    const close = template.indexOf("}}", open + 2);
    if (close < 0) return found;
    const source = template.slice(open + 2, close).trim();
    if (source !== "") found.push(source);
    at = close + 2;
  }
}
