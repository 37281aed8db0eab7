import { RE2JS } from "re2js";
import { CipError } from "../model/index.js";
import { translatePythonRegex, UnsupportedRegexError } from "./python-regex-syntax.js";

/**
 * A Python `re` pattern compiled for RE2 (re2js): every match takes time linear in the text, whatever the
 * pattern. Bundles and allowlists are untrusted input, so no pattern of theirs runs on a backtracking engine.
 */
export interface PythonRegex {
  /** The pattern as written. */
  readonly source: string;
  /** Python's `re.search`: a match anywhere in the text. */
  search(text: string): boolean;
  /** Python's `re.match`: a match that starts at the start of the text. */
  match(text: string): boolean;
  /** Python's `re.fullmatch`: the whole text matches. */
  fullMatch(text: string): boolean;
}

/** Why a pattern was refused: a syntax error, or a construct RE2 cannot run in linear time. */
export class PythonRegexError extends CipError {
  readonly pattern: string;
  /** What is wrong, without the pattern: "backreferences cannot run in linear time (\1)". */
  readonly reason: string;
  /** True for a construct RE2 cannot express (backreference, lookaround); false for a syntax error. */
  readonly unsupported: boolean;

  constructor(pattern: string, reason: string, unsupported: boolean) {
    super(
      "CIP_REGEX_UNSUPPORTED",
      `Cannot compile regular expression ${JSON.stringify(pattern)}: ${reason}`,
      {
        hint: unsupported
          ? "Rewrite the pattern without backreferences, lookahead or lookbehind: regular expressions run on RE2, in time linear in the text."
          : "Fix the pattern's syntax (Python `re` syntax, as RE2 accepts it).",
      },
    );
    this.pattern = pattern;
    this.reason = reason;
    this.unsupported = unsupported;
  }
}

/**
 * Compiles a Python `re` pattern (as anchore-engine policies are written) for RE2. Leading inline flags
 * (`(?i)`), `(?P<name>…)`, `\A`, `\Z` keep their Python meaning. Throws PythonRegexError for a syntax
 * error or for a construct that needs backtracking (backreferences, lookahead, lookbehind).
 */
export function compilePythonRegex(pattern: string): PythonRegex {
  let translated: ReturnType<typeof translatePythonRegex>;
  try {
    translated = translatePythonRegex(pattern);
  } catch (error) {
    if (!(error instanceof UnsupportedRegexError)) throw error;
    const { construct, reason } = error.feature;
    throw new PythonRegexError(pattern, `${reason} (${construct})`, true);
  }
  const { body, flags } = translated;
  const bits =
    (flags.includes("i") ? RE2JS.CASE_INSENSITIVE : 0) |
    (flags.includes("m") ? RE2JS.MULTILINE : 0) |
    (flags.includes("s") ? RE2JS.DOTALL : 0);
  const compile = (source: string): RE2JS => {
    try {
      return RE2JS.compile(source, bits);
    } catch (error) {
      throw new PythonRegexError(pattern, re2Reason(error), false);
    }
  };
  const searcher = compile(body);
  // Anchored forms compile on first use: most callers need one of the three.
  let matcher: RE2JS | undefined;
  let fullMatcher: RE2JS | undefined;
  return {
    source: pattern,
    search: (text) => searcher.test(text),
    match: (text) => {
      matcher ??= compile(`\\A(?:${body})`);
      return matcher.test(text);
    },
    fullMatch: (text) => {
      fullMatcher ??= compile(`\\A(?:${body})\\z`);
      return fullMatcher.test(text);
    },
  };
}

/** Python's `re.match`: the pattern must match at the start of the text (not necessarily the whole of it). */
export function pythonMatch(regex: PythonRegex, text: string): boolean {
  return regex.match(text);
}

/** Python's `re.search`: the pattern may match anywhere. */
export function pythonSearch(regex: PythonRegex, text: string): boolean {
  return regex.search(text);
}

/** RE2's description of a syntax error, e.g. "missing closing ): `(`". */
function re2Reason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/^error parsing regexp: /, "");
}

/**
 * The end of a validation message about a refused pattern, to follow its name: "is not a valid regular
 * expression (…)" or "cannot be used: backreferences cannot run in linear time (\1); …".
 */
export function regexProblem(error: PythonRegexError): string {
  return error.unsupported
    ? `cannot be used: ${error.reason}; regular expressions run on RE2, so rewrite it without backreferences or lookaround`
    : `is not a valid regular expression (${error.reason})`;
}
