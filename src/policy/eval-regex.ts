import { ParamValueError } from "./gate-types.js";
import { compilePythonRegex, type PythonRegex, PythonRegexError, regexProblem } from "./python-regex.js";
import { translatePythonRegex, UnsupportedRegexError } from "./python-regex-syntax.js";

const cache = new Map<string, PythonRegex>();

/**
 * Compiles a Python-style regular expression that a trigger parameter gives, at evaluation time (anchore-engine
 * accepts any string for these parameters and fails only when it uses one). Throws a PythonRegexError naming
 * the parameter and the pattern, which the engine turns into an error row.
 */
export function compileEvalRegex(param: string, source: string): PythonRegex {
  const cached = cache.get(source);
  if (cached) return cached;
  let regex: PythonRegex;
  try {
    regex = compilePythonRegex(source);
  } catch (error) {
    if (!(error instanceof PythonRegexError)) throw error;
    throw new PythonRegexError(source, `${error.reason} (parameter ${param})`, error.unsupported);
  }
  if (cache.size > 1_000) cache.clear();
  cache.set(source, regex);
  return regex;
}

/**
 * Compiles a pattern that a trigger parameter gives, at validation (compile) time. Throws ParamValueError
 * naming the parameter, the pattern and why it cannot be used.
 */
export function compileParamRegex(param: string, source: string): PythonRegex {
  try {
    return compilePythonRegex(source);
  } catch (error) {
    if (!(error instanceof PythonRegexError)) throw error;
    throw paramRegexError(param, source, error);
  }
}

/**
 * Refuses, at validation, an evaluation-time pattern that uses a construct RE2 cannot run (backreference,
 * lookaround): it could never be evaluated, so the bundle says so at once. Syntax errors are left to
 * evaluation, as anchore-engine does. Throws ParamValueError.
 */
export function checkEvalRegex(param: string, source: string): void {
  try {
    translatePythonRegex(source);
  } catch (error) {
    if (!(error instanceof UnsupportedRegexError)) throw error;
    const { construct, reason } = error.feature;
    throw paramRegexError(param, source, new PythonRegexError(source, `${reason} (${construct})`, true));
  }
}

function paramRegexError(param: string, source: string, error: PythonRegexError): ParamValueError {
  return new ParamValueError(
    param,
    `parameter "${param}" has value ${JSON.stringify(source)}, which ${regexProblem(error)}`,
    "CIP_REGEX_UNSUPPORTED",
  );
}
