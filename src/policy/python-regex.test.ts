import assert from "node:assert/strict";
import { test } from "node:test";
import { compilePythonRegex, PythonRegexError } from "./python-regex.js";

function refusal(pattern: string): PythonRegexError {
  try {
    compilePythonRegex(pattern);
  } catch (error) {
    if (error instanceof PythonRegexError) return error;
    throw error;
  }
  assert.fail(`${pattern} compiled`);
}

test("re.match anchors at the start, re.search anywhere, fullmatch on the whole text", () => {
  const r = compilePythonRegex("b+");
  assert.equal(r.match("abb"), false);
  assert.equal(r.search("abb"), true);
  assert.equal(r.match("bba"), true);
  assert.equal(r.fullMatch("bba"), false);
  assert.equal(r.fullMatch("bb"), true);
  // An alternation is anchored as a whole, not only its first branch.
  assert.equal(compilePythonRegex("x|b").match("bx"), true);
  assert.equal(compilePythonRegex("x|b").fullMatch("bx"), false);
});

test("leading inline flags keep their Python meaning", () => {
  assert.ok(compilePythonRegex("(?i)ABC").match("abc"));
  assert.ok(compilePythonRegex("(?s)a.b").match("a\nb"));
  assert.equal(compilePythonRegex("a.b").match("a\nb"), false);
  assert.ok(compilePythonRegex("(?m)^b").search("a\nb"));
  // re.match with MULTILINE still starts at the start of the text, not of a line.
  assert.equal(compilePythonRegex("(?m)^b").match("a\nb"), false);
  assert.ok(compilePythonRegex("(?i)(?s)A.B").match("a\nb"));
  // ASCII, locale and unicode flags change nothing RE2 needs.
  assert.ok(compilePythonRegex("(?au)abc").match("abc"));
  assert.ok(compilePythonRegex("(?x) a b  # a comment\n c").match("abc"));
  assert.ok(compilePythonRegex("(?x)a\\ b[ ]c").match("a b c"));
});

test("Python-only syntax is translated: \\A, \\Z, (?P<name>), (?#), {,n}, \\uXXXX, a leading ] in a class", () => {
  assert.ok(compilePythonRegex("\\Aab\\Z").fullMatch("ab"));
  assert.equal(compilePythonRegex("ab\\Z").search("ab\n"), false);
  assert.ok(compilePythonRegex("\\\\Z").search("\\Z"), "an escaped backslash before Z stays a backslash");
  assert.ok(compilePythonRegex("(?P<word>[a-z]+)-(?P<n>\\d+)").match("abc-12"));
  assert.ok(compilePythonRegex("a(?#comment)b").match("ab"));
  assert.ok(compilePythonRegex("^a{,2}$").search("aa"));
  assert.equal(compilePythonRegex("^a{,2}$").search("aaa"), false);
  assert.ok(compilePythonRegex("\\u00e9t\\u00E9").match("été"));
  assert.ok(compilePythonRegex("[]a]+").fullMatch("]a]"));
  assert.ok(compilePythonRegex("[^]a]").fullMatch("b"));
  assert.ok(compilePythonRegex("\\101").match("A"), "three octal digits are a character, not a group");
  assert.ok(compilePythonRegex("[(?=]+").fullMatch("(?="), "lookahead syntax inside a class is literal");
});

test("backreferences, lookahead, lookbehind and conditionals are refused with the reason", () => {
  for (const [pattern, reason] of [
    ["(a)\\1", "backreferences cannot run in linear time (\\1)"],
    ["(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)\\10", "backreferences cannot run in linear time (\\10)"],
    ["(?P<x>a)(?P=x)", "backreferences cannot run in linear time ((?P=name))"],
    ["a(?=b)", "lookahead assertions cannot run in linear time ((?=…))"],
    ["a(?!b)", "lookahead assertions cannot run in linear time ((?!…))"],
    ["(?<=a)b", "lookbehind assertions cannot run in linear time ((?<=…))"],
    ["(?<!a)b", "lookbehind assertions cannot run in linear time ((?<!…))"],
    ["(a)?(?(1)b|c)", "conditional groups cannot run in linear time ((?(…)…))"],
  ] as const) {
    const error = refusal(pattern);
    assert.equal(error.code, "CIP_REGEX_UNSUPPORTED");
    assert.equal(error.unsupported, true, pattern);
    assert.equal(error.reason, reason);
    assert.equal(error.message, `Cannot compile regular expression ${JSON.stringify(pattern)}: ${reason}`);
    assert.match(error.hint ?? "", /RE2/);
  }
});

test("syntax errors are reported as RE2 words them", () => {
  const error = refusal("*\\.pem");
  assert.equal(error.unsupported, false);
  assert.equal(error.reason, "missing argument to repetition operator: `*`");
  assert.equal(refusal("(").reason, "missing closing ): `(`");
});

test("catastrophic-backtracking patterns run in linear time", () => {
  const hostile = `${"a".repeat(50_000)}!`;
  for (const pattern of ["(a+)+$", "(a|aa)*$", "(.*a){20}", "(a*)*b", "^(\\w+\\s?)*$"]) {
    const regex = compilePythonRegex(pattern);
    const started = performance.now();
    regex.search(hostile);
    regex.match(hostile);
    regex.fullMatch(hostile);
    const ms = performance.now() - started;
    assert.ok(ms < 1_000, `${pattern} took ${ms.toFixed(0)} ms`);
  }
});
