import type { SecretFinding } from "../../model/index.js";
import { compilePythonRegex, type PythonRegex, PythonRegexError } from "../../policy/python-regex.js";

/**
 * anchore-engine's default secret regexes (src/policy/gates/secret-scans.ts `ANCHORE_SECRET_REGEXES`) with
 * their lookarounds rewritten, since RE2 has none. Each `.*(?<![C])X{n,m}(?![C]).*` (a run of X not
 * touching another C) becomes `(?:.*[^C])?X{n,m}(?:[^C]|$)`: the char before the run is either the last
 * of the `( *=+ *)` group (a space or `=`) or one `.*` ends with. For AWS_SECRET_KEY, whose C holds `=`,
 * the group must then end in a space, as the lookbehind demands. The test checks each against the original
 * on a native backtracking engine.
 */
export const LINEAR_SECRET_REGEXES: Readonly<Record<string, string>> = {
  AWS_ACCESS_KEY: "(?i).*aws_access_key_id( *=+ *)(?:.*[^A-Z0-9])?[A-Z0-9]{20}(?:[^A-Z0-9]|$)",
  AWS_SECRET_KEY:
    "(?i).*aws_secret_access_key(?: *=+ +| *=+ *.*[^A-Za-z0-9/+=])[A-Za-z0-9/+=]{40}(?:[^A-Za-z0-9/+=]|$)",
  PRIV_KEY: "(?i)-+BEGIN(.*)PRIVATE KEY-+",
  DOCKER_AUTH: '(?i).*"auth": *".+"',
  API_KEY: "(?i).*api(-|_)key( *=+ *)(?:.*[^A-Z0-9])?[A-Z0-9]{20,60}(?:[^A-Z0-9]|$)",
};

/** Literals one of which every default regex needs, case-insensitively: lines without any skip RE2. */
const DEFAULT_PREFILTER = /aws_access_key_id|aws_secret_access_key|private key|"auth"|api[-_]key/gi;

/** Longest line searched; the rest of a longer line is not searched (it bounds the work per line). */
export const MAX_SECRET_LINE = 64 * 1024;

/** The compiled regexes a secret search uses, and the literal prefilter that goes with the defaults. */
export interface SecretMatcher {
  regexes: { name: string; regex: PythonRegex }[];
  /** A global regex of literals: a line matching none of them is not searched further. */
  prefilter?: RegExp;
  /** Patterns refused (a lookaround RE2 cannot run, a syntax error), as problem messages. */
  problems: string[];
}

/**
 * Compiles secret regexes (Python syntax, `NAME → pattern`) for RE2; the defaults when none are given.
 * A pattern RE2 cannot run is left out and named in `problems`.
 */
export function secretMatcher(patterns?: Readonly<Record<string, string>>): SecretMatcher {
  const given = patterns ?? LINEAR_SECRET_REGEXES;
  const matcher: SecretMatcher = { regexes: [], problems: [] };
  if (patterns === undefined) matcher.prefilter = DEFAULT_PREFILTER;
  for (const [name, pattern] of Object.entries(given)) {
    try {
      matcher.regexes.push({ name, regex: compilePythonRegex(pattern) });
    } catch (error) {
      if (!(error instanceof PythonRegexError)) throw error;
      matcher.problems.push(`secret regex ${name} is not used: ${error.message}`);
    }
  }
  return matcher;
}

/**
 * Searches one file's bytes for secrets line by line as they stream (`push` each chunk, then `end`),
 * as anchore-engine matches each line with `re.match`. Records `{ regexName, path, line }` only, never
 * the text; one finding per regex and line. Bytes are read as latin1, one char per byte, so a chunk
 * boundary never splits a character.
 */
export class SecretSearch {
  readonly findings: SecretFinding[] = [];
  private carry = "";
  private line = 1;

  constructor(
    private readonly matcher: SecretMatcher,
    private readonly path: string,
    private readonly maxFindings = 1_000,
  ) {}

  /** Searches the complete lines of the chunk; a trailing partial line waits for the next chunk. */
  push(chunk: Buffer): void {
    const text = this.carry + chunk.toString("latin1");
    const last = text.lastIndexOf("\n");
    if (last < 0) {
      this.carry = text.length > MAX_SECRET_LINE ? text.slice(0, MAX_SECRET_LINE) : text;
      return;
    }
    this.searchLines(text, last);
    const rest = text.slice(last + 1);
    this.carry = rest.length > MAX_SECRET_LINE ? rest.slice(0, MAX_SECRET_LINE) : rest;
  }

  /** Searches the last line (one without a newline) and returns every finding. */
  end(): SecretFinding[] {
    if (this.carry !== "") this.searchLine(this.carry, this.line);
    this.carry = "";
    return this.findings;
  }

  /** Searches the lines of text[0, end]; counts newlines only up to the lines the prefilter picks. */
  private searchLines(text: string, end: number): void {
    const prefilter = this.matcher.prefilter;
    let counted = 0;
    const lineAt = (at: number): number => {
      for (let i = text.indexOf("\n", counted); i >= 0 && i < at; i = text.indexOf("\n", i + 1)) {
        this.line++;
        counted = i + 1;
      }
      counted = Math.max(counted, at);
      return this.line;
    };
    if (prefilter === undefined) {
      let start = 0;
      while (start <= end) {
        const stop = text.indexOf("\n", start);
        this.searchLine(text.slice(start, Math.min(stop, start + MAX_SECRET_LINE)), this.line);
        this.line++;
        start = stop + 1;
      }
      return;
    }
    prefilter.lastIndex = 0;
    let searchedUpTo = -1;
    for (let hit = prefilter.exec(text); hit !== null && hit.index < end; hit = prefilter.exec(text)) {
      if (hit.index <= searchedUpTo) continue;
      const start = text.lastIndexOf("\n", hit.index) + 1;
      const stop = text.indexOf("\n", hit.index);
      this.searchLine(text.slice(start, Math.min(stop, start + MAX_SECRET_LINE)), lineAt(start));
      searchedUpTo = stop;
      prefilter.lastIndex = stop + 1;
    }
    lineAt(end + 1);
  }

  private searchLine(line: string, number: number): void {
    const text = line.endsWith("\r") ? line.slice(0, -1) : line;
    for (const { name, regex } of this.matcher.regexes) {
      if (this.findings.length >= this.maxFindings) return;
      if (regex.match(text)) this.findings.push({ regexName: name, path: this.path, line: number });
    }
  }
}
