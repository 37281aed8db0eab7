import { compilePythonRegex } from "./python-regex.js";

const cache = new Map<string, RegExp>();

/**
 * Compiles a Python-style regular expression that a trigger parameter gives, at evaluation time (anchore-engine
 * accepts any string for these parameters and fails only when it uses one). Throws an Error naming the
 * parameter and the pattern, which the engine turns into an error row.
 */
export function compileEvalRegex(param: string, source: string): RegExp {
  const cached = cache.get(source);
  if (cached) return cached;
  let regex: RegExp;
  try {
    regex = compilePythonRegex(source);
  } catch (error) {
    const detail = (error as Error).message.split(": ").pop() ?? "";
    throw new Error(
      `Cannot evaluate regular expression ${JSON.stringify(source)}: ${detail} (parameter ${param})`,
    );
  }
  if (cache.size > 1_000) cache.clear();
  cache.set(source, regex);
  return regex;
}
