import { compilePythonRegex } from "./python-regex.js";

/**
 * anchore-engine's pattern matching for mappings and allowlists: `*` matches any run of characters and
 * the whole string must match; a `regexp:` prefix means the rest is a raw regular expression, matched at
 * the start (Python `re.match`). An invalid raw expression throws SyntaxError.
 */
export function wildcardToRegExp(pattern: string): RegExp {
  if (pattern.trim().startsWith("regexp:")) {
    const raw = compilePythonRegex(pattern.slice(pattern.indexOf("regexp:") + "regexp:".length));
    return new RegExp(`^(?:${raw.source})`, raw.flags);
  }
  return new RegExp(`^${pattern.split("*").map(escapeRegExp).join("(.*)")}$`, "s");
}

/** True when `text` matches the anchore wildcard `pattern` (see wildcardToRegExp). */
export function wildcardMatch(pattern: string, text: string): boolean {
  let compiled = cache.get(pattern);
  if (!compiled) {
    compiled = wildcardToRegExp(pattern);
    if (cache.size > 10_000) cache.clear();
    cache.set(pattern, compiled);
  }
  return compiled.test(text);
}

/** Escapes every character with a meaning in a regular expression. */
export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&");
}

const cache = new Map<string, RegExp>();
