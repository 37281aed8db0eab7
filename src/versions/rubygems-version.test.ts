import assert from "node:assert/strict";
import { test } from "node:test";
import { compareRubyGemsVersions, isValidRubyGemsVersion } from "./rubygems-version.js";

test("Gem::Version: a letter makes a prerelease that sorts before the release (1.0.a.2 < 1.0.b1 < 1.0)", () => {
  const ordered = ["0.9", "1.0.a.2", "1.0.b1", "1.0", "1.0.1"];
  for (let i = 0; i + 1 < ordered.length; i++) {
    const [a, b] = [ordered[i] as string, ordered[i + 1] as string];
    assert.equal(compareRubyGemsVersions(a, b), -1, `${a} < ${b}`);
    assert.equal(compareRubyGemsVersions(b, a), 1, `${b} > ${a}`);
  }
});

test("trailing zeros do not count, a hyphen reads as .pre., letters and digits split", () => {
  assert.equal(compareRubyGemsVersions("1.0.0", "1"), 0);
  assert.equal(compareRubyGemsVersions("1.0.0-rc1", "1.0.0.pre.rc1"), 0);
  assert.equal(compareRubyGemsVersions("1.0.a2", "1.0.a.2"), 0);
  assert.equal(compareRubyGemsVersions("3.10", "3.2"), 1);
});

test("OSV record against an installed gem: activesupport 6.0.2.1 in [6.0.0, 6.0.3.1) (SOURCES.md)", () => {
  assert.equal(compareRubyGemsVersions("6.0.2.1", "6.0.0"), 1);
  assert.equal(compareRubyGemsVersions("6.0.2.1", "6.0.3.1"), -1);
});

test("validity is Gem::Version's pattern; a blank version is 0", () => {
  for (const good of ["1", "1.0.0", "1.0.0.rc1", "2.0.0-beta.2", " 1.2 ", ""]) {
    assert.equal(isValidRubyGemsVersion(good), true, JSON.stringify(good));
  }
  for (const bad of ["junk", "1..2", "1.0-", "1gamma", "v1.0"]) {
    assert.equal(isValidRubyGemsVersion(bad), false, bad);
  }
  assert.equal(compareRubyGemsVersions("", "0"), 0);
});
