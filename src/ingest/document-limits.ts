import { type CST, Lexer } from "yaml";
import { CipError } from "../model/index.js";

/**
 * How deep lists and objects may nest in a document (facts, bundle, report). Real documents nest a few
 * levels, CycloneDX component trees a few dozen; deeper is malformed or hostile, and recursive code that
 * walks it (the YAML composer, validators, JSON.stringify) would run out of stack.
 */
export const MAX_NESTING_DEPTH = 512;

/**
 * How often YAML aliases may be expanded, weighted as the `yaml` package does (uses of an anchor times
 * the aliases inside it): above it a document is an alias bomb ("billion laughs").
 */
export const MAX_YAML_ALIAS_COUNT = 1000;

/**
 * Largest YAML document read (characters). The `yaml` package reads about 1-2 MB a second, so a YAML input
 * at the general input limit would take a minute; bundles and facts in YAML are kilobytes, and large
 * documents (reports, generated facts) are JSON, which has no such limit.
 */
export const MAX_YAML_CHARS = 8 * 1024 * 1024;

/** The error for a YAML document over {@link MAX_YAML_CHARS}. */
export function yamlTooLargeError(source: string, length: number): CipError {
  return new CipError(
    "CIP_INPUT_TOO_LARGE",
    `Cannot parse ${source} as YAML: it has ${length} characters, over the YAML limit of ${MAX_YAML_CHARS}`,
    { hint: "Give large documents as JSON (read at the full --max-input-size), or split the YAML." },
  );
}

/** A value that breaks a limit: nesting too deep, or a number that is not finite, at a document path. */
export type LimitViolation = { kind: "depth" } | { kind: "number"; path: (string | number)[]; value: number };

/**
 * Checks a parsed document: nesting at most `limit` deep, every number finite. `shared` documents (YAML
 * with aliases) may reach one object on several paths; each is then walked once per depth it is reached at.
 * Recursion stops at `limit`, so this cannot itself run out of stack.
 */
export function findLimitViolation(
  value: unknown,
  limit = MAX_NESTING_DEPTH,
  shared = false,
): LimitViolation | undefined {
  if (typeof value === "number")
    return Number.isFinite(value) ? undefined : { kind: "number", path: [], value };
  if (typeof value !== "object" || value === null) return undefined;
  return shared ? walkShared(value, 1, limit, new Map()) : walk(value, 1, limit);
}

// One function with the checks inline: it runs once per process on reports of many megabytes, mostly before
// the JIT has optimized it, so every call saved counts.
function walk(node: object, depth: number, limit: number): LimitViolation | undefined {
  if (depth > limit) return { kind: "depth" };
  if (Array.isArray(node)) {
    for (let i = 0; i < node.length; i++) {
      const x: unknown = node[i];
      if (typeof x === "object") {
        if (x === null) continue;
        const found = walk(x, depth + 1, limit);
        if (found) return at(found, i);
      } else if (typeof x === "number" && !Number.isFinite(x)) return { kind: "number", path: [i], value: x };
    }
    return undefined;
  }
  for (const key in node) {
    const x: unknown = (node as Record<string, unknown>)[key];
    if (typeof x === "object") {
      if (x === null) continue;
      const found = walk(x, depth + 1, limit);
      if (found) return at(found, key);
    } else if (typeof x === "number" && !Number.isFinite(x)) return { kind: "number", path: [key], value: x };
  }
  return undefined;
}

function walkShared(
  node: object,
  depth: number,
  limit: number,
  seen: Map<object, number>,
): LimitViolation | undefined {
  if (depth > limit) return { kind: "depth" };
  // Reached before at this depth or deeper (an alias): its subtree cannot go deeper now.
  if ((seen.get(node) ?? 0) >= depth) return undefined;
  seen.set(node, depth);
  const entries: [string | number, unknown][] = Array.isArray(node)
    ? node.map((x, i) => [i, x])
    : Object.entries(node);
  for (const [key, x] of entries) {
    if (typeof x === "object") {
      if (x === null) continue;
      const found = walkShared(x, depth + 1, limit, seen);
      if (found) return at(found, key);
    } else if (typeof x === "number" && !Number.isFinite(x)) return { kind: "number", path: [key], value: x };
  }
  return undefined;
}

function at(found: LimitViolation, key: string | number): LimitViolation {
  if (found.kind === "number") found.path.unshift(key);
  return found;
}

/**
 * The offset in JSON text where nesting first goes deeper than `limit` (brackets inside strings do not
 * count), or -1. A linear scan: used to say where, and before JSON error reporting that recurses.
 */
export function jsonDepthOffset(text: string, limit = MAX_NESTING_DEPTH): number {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) {
      // Skip the string: to the next quote not escaped by a backslash.
      for (i++; i < text.length; i++) {
        const s = text.charCodeAt(i);
        if (s === 92) i++;
        else if (s === 34) break;
      }
    } else if (c === 91 || c === 123) {
      if (++depth > limit) return i;
    } else if (c === 93 || c === 125) depth--;
  }
  return -1;
}

/** What {@link yamlNesting} found in a YAML CST. */
export interface YamlNesting {
  /** Offset of the first collection nested deeper than the limit, or -1. */
  deepAt: number;
  /** Whether the document uses aliases, so one node may be reached on several paths once composed. */
  aliases: boolean;
}

/**
 * Offset in YAML text where flow collections (`[`, `{`) or compact block sequences (`- - - x` on one line)
 * first nest deeper than `limit`, or -1. Runs on the lexer's flat token stream before the parser builds its
 * tree: that tree costs about 1 KB a level (1.6 million `[` took 1.7 GB and 9 s), the lexer nothing.
 */
export function yamlLexicalDepthOffset(text: string, limit = MAX_NESTING_DEPTH): number {
  let offset = 0;
  let flow = 0;
  let dashes = 0;
  for (const token of new Lexer().lex(text)) {
    if (token === "[" || token === "{") {
      if (++flow > limit) return offset;
    } else if (token === "]" || token === "}") {
      flow = Math.max(0, flow - 1);
    } else if (token === "-") {
      if (++dashes > limit) return offset;
    } else if (token.includes("\n")) {
      dashes = 0;
    } else if (token.trim() !== "") {
      dashes = 0;
    }
    // Control tokens (document and scalar markers) are one character the text does not hold
    if (token.length !== 1 || token.charCodeAt(0) >= 0x20) offset += token.length;
  }
  return -1;
}

/**
 * Measures nesting of YAML collections (block and flow) in parsed CST tokens. Iterative, so a hostile
 * document cannot exhaust the stack here (the composer would); stops at the first collection too deep.
 */
export function yamlNesting(tokens: readonly CST.Token[], limit = MAX_NESTING_DEPTH): YamlNesting {
  const stack: { token: CST.Token; depth: number }[] = tokens.map((token) => ({ token, depth: 0 }));
  let aliases = false;
  while (stack.length > 0) {
    const { token, depth } = stack.pop() as { token: CST.Token; depth: number };
    if (token.type === "document") {
      if (token.value) stack.push({ token: token.value, depth });
      continue;
    }
    if (token.type === "alias") aliases = true;
    if (token.type !== "block-map" && token.type !== "block-seq" && token.type !== "flow-collection")
      continue;
    if (depth + 1 > limit) return { deepAt: token.offset, aliases };
    for (const item of token.items) {
      if ("key" in item && item.key) stack.push({ token: item.key, depth: depth + 1 });
      if (item.value) stack.push({ token: item.value, depth: depth + 1 });
    }
  }
  return { deepAt: -1, aliases };
}

/**
 * The error for a document nested deeper than the limit; `where` is a line and column when known.
 * `exhausted`: the parser ran out of stack before the limit (a deep call stack around it).
 */
export function nestingLimitError(
  source: string,
  limit: number,
  where?: string,
  exhausted = false,
): CipError {
  const what = exhausted
    ? `lists and objects nest too deep to read here (the limit is ${limit} levels)`
    : `lists and objects nest deeper than the limit of ${limit} levels`;
  return new CipError("CIP_NESTING_LIMIT", `Cannot parse ${source}: ${what}${where ? ` (${where})` : ""}`, {
    hint: "Real reports, bundles and facts nest a few levels; this document is malformed or hostile. Regenerate it, or check where it came from.",
  });
}

/** The error for a number that is not finite (`1e999`, a 400-digit integer, YAML `.inf` or `.nan`). */
export function numberLimitError(source: string, path: (string | number)[], value: number): CipError {
  const what = Number.isNaN(value)
    ? "a number is NaN"
    : `a number is too large to represent, it reads as ${value}`;
  return new CipError("CIP_NUMBER_LIMIT", `Cannot parse ${source}: ${what} (at ${documentPath(path)})`, {
    hint: "Numbers must be finite, at most about 1.8e308; quote the value if it is meant as text.",
  });
}

/** The error for a YAML document whose aliases expand beyond {@link MAX_YAML_ALIAS_COUNT}. */
export function aliasLimitError(source: string, limit: number): CipError {
  return new CipError(
    "CIP_YAML_ALIAS_LIMIT",
    `Cannot parse ${source} as YAML: its aliases expand beyond the limit of ${limit} (an alias bomb?)`,
    {
      hint: "Write repeated parts out, or use fewer aliases (*name) of large anchored (&name) nodes.",
    },
  );
}

/** A document path as the project's problems write it: `vulnerabilities[0].cvss[1].baseScore`. */
function documentPath(path: (string | number)[]): string {
  if (path.length === 0) return "document";
  return path
    .map((p, i) =>
      typeof p === "number"
        ? `[${p}]`
        : /^[A-Za-z_$][\w$-]*$/.test(p)
          ? i === 0
            ? p
            : `.${p}`
          : `[${JSON.stringify(p)}]`,
    )
    .join("");
}
