import { RE2JS } from "re2js";
import { compilePythonRegex } from "./python-regex.js";

/** An anchore pattern compiled once; testing a text takes time linear in it (RE2). */
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
  const whole = RE2JS.compile(`\\A${pattern.split("*").map(RE2JS.quote).join(".*")}\\z`, RE2JS.DOTALL);
  return { test: (text) => whole.test(text) };
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
