import { compilePythonRegex } from "./python-regex.js";

/** An anchore pattern compiled once; testing a text takes time bounded by the pattern and text lengths. */
export interface WildcardPattern {
  test(text: string): boolean;
}

/**
 * anchore-engine's pattern matching for mappings and allowlists: `*` matches any run of characters and
 * the whole string must match; a `regexp:` prefix means the rest is a raw regular expression (Python
 * syntax), matched at the start (Python `re.match`). Throws PythonRegexError for a raw expression that does
 * not compile or cannot run in linear time.
 */
export function compileWildcard(pattern: string): WildcardPattern {
  if (pattern.trim().startsWith("regexp:")) {
    const regex = compilePythonRegex(pattern.slice(pattern.indexOf("regexp:") + "regexp:".length));
    return { test: (text) => regex.match(text) };
  }
  if (!pattern.includes("*")) return { test: (text) => text === pattern };
  const parts = pattern.split("*");
  return { test: (text) => starMatch(parts, text) };
}

/**
 * Matches `*`-only globs by their literal parts: the first a prefix, the last a suffix, those between found
 * leftmost in order (leftmost is always right when `*` is the only operator). No compilation, which a
 * bundle of thousands of allowlist patterns would pay for, and time bounded by parts × text length.
 */
function starMatch(parts: readonly string[], text: string): boolean {
  const first = parts[0] as string;
  const last = parts[parts.length - 1] as string;
  if (text.length < first.length + last.length || !text.startsWith(first) || !text.endsWith(last))
    return false;
  let at = first.length;
  const end = text.length - last.length;
  for (let i = 1; i < parts.length - 1; i++) {
    const part = parts[i] as string;
    const found = text.indexOf(part, at);
    if (found < 0 || found + part.length > end) return false;
    at = found + part.length;
  }
  return true;
}

/** True when `text` matches the anchore wildcard `pattern` (see compileWildcard). */
export function wildcardMatch(pattern: string, text: string): boolean {
  let compiled = cache.get(pattern);
  if (!compiled) {
    compiled = compileWildcard(pattern);
    if (cache.size > 10_000) cache.clear();
    cache.set(pattern, compiled);
  }
  return compiled.test(text);
}

const cache = new Map<string, WildcardPattern>();

/**
 * Matching for names people and Kubernetes treat without regard to case (namespaces, environments): a
 * wildcard pattern and the name are compared in lower case; a `regexp:` pattern decides case itself (`(?i)`).
 */
export function nameSelectorMatch(pattern: string, name: string): boolean {
  if (pattern === "*") return true;
  if (pattern.trim().startsWith("regexp:")) return wildcardMatch(pattern, name);
  return wildcardMatch(pattern.toLowerCase(), name.toLowerCase());
}
