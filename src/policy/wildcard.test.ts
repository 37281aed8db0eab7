import assert from "node:assert/strict";
import { test } from "node:test";
import { compileWildcard, nameSelectorMatch } from "./wildcard.js";

test("`*` globs match the whole text, `*` standing for any run of characters", () => {
  const cases: [string, string, boolean][] = [
    ["*", "", true],
    ["*", "abc", true],
    ["a*", "a", true],
    ["a*", "ba", false],
    ["*a", "ba", true],
    ["a*b", "aXb", true],
    ["a*b", "aXbc", false],
    ["a*a", "a", false],
    ["a*a", "aa", true],
    ["*ab*ab*", "abab", true],
    ["*ab*ab*", "aba", false],
    ["x*yy*y", "xyyy", true],
    ["x*yy*y", "xyy", false],
    ["a*b*c", "acb", false],
    ["**", "x", true],
    ["a.b", "aXb", false],
    ["CVE-2020-*+openssl", "CVE-2020-1234+openssl", true],
    ["CVE-2020-*+openssl", "CVE-2021-1234+openssl", false],
  ];
  for (const [pattern, text, expected] of cases) {
    assert.equal(compileWildcard(pattern).test(text), expected, `${pattern} on ${text}`);
  }
});

test("many stars against a long near-miss take no time", () => {
  const text = `${"a".repeat(50_000)}!`;
  const started = performance.now();
  assert.equal(compileWildcard(`${"*a".repeat(40)}*b*`).test(text), false);
  assert.equal(compileWildcard(`${"*a".repeat(40)}*`).test(text), true);
  assert.ok(performance.now() - started < 500);
});

test("name selectors ignore case; regexp: selectors decide it themselves", () => {
  assert.equal(nameSelectorMatch("prod", "PROD"), true);
  assert.equal(nameSelectorMatch("payments-*", "Payments-EU"), true);
  assert.equal(nameSelectorMatch("regexp:prod", "PROD"), false);
  assert.equal(nameSelectorMatch("regexp:(?i)prod", "PROD"), true);
});
