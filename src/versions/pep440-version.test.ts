import assert from "node:assert/strict";
import { test } from "node:test";
import { comparePep440Versions, isValidPep440Version } from "./pep440-version.js";

test("the ordering example of PEP 440 (summary of permitted suffixes and relative ordering)", () => {
  const ordered = [
    "1.dev0",
    "1.0.dev456",
    "1.0a1",
    "1.0a2.dev456",
    "1.0a12.dev456",
    "1.0a12",
    "1.0b1.dev456",
    "1.0b2",
    "1.0b2.post345.dev456",
    "1.0b2.post345",
    "1.0rc1.dev456",
    "1.0rc1",
    "1.0",
    "1.0+abc.5",
    "1.0+abc.7",
    "1.0+5",
    "1.0.post456.dev34",
    "1.0.post456",
    "1.0.15",
    "1.1.dev1",
  ];
  for (let i = 0; i + 1 < ordered.length; i++) {
    const [a, b] = [ordered[i] as string, ordered[i + 1] as string];
    assert.equal(comparePep440Versions(a, b), -1, `${a} < ${b}`);
    assert.equal(comparePep440Versions(b, a), 1, `${b} > ${a}`);
  }
});

test("normalised spellings are the same version (PEP 440 normalization)", () => {
  const same: [string, string][] = [
    ["1.0", "1.0.0"],
    ["1.0a1", "1.0.alpha.1"],
    ["1.0rc1", "1.0-c1"],
    ["1.0.post0", "1.0-r"],
    ["1.0.post1", "1.0-1"],
    ["1.0.dev0", "1.0-dev"],
    ["1!1.0", "1!1.0.0"],
    ["v1.0", "1.0"],
    ["1.0+ubuntu-1", "1.0+ubuntu.1"],
  ];
  for (const [a, b] of same) assert.equal(comparePep440Versions(a, b), 0, `${a} = ${b}`);
  assert.equal(comparePep440Versions("1!0.1", "2.0"), 1, "an epoch outranks the release");
});

test("OSV records against installed packages (SOURCES.md record × target rows)", () => {
  assert.equal(comparePep440Versions("2.2.3", "3.0.1"), -1, "werkzeug");
  assert.equal(comparePep440Versions("2.29.0", "2.3.0"), 1, "requests is after 2.3.0");
  assert.equal(comparePep440Versions("2.29.0", "2.31.0"), -1, "and before 2.31.0");
  assert.equal(comparePep440Versions("2.0.0", "2.2.5"), -1, "Flask");
});

test("a string PEP 440 rejects sorts before every valid version", () => {
  for (const bad of ["french toast", "1.0-SNAPSHOT", "2019.12.304-x", ""]) {
    assert.equal(isValidPep440Version(bad), false, bad);
    assert.equal(comparePep440Versions(bad, "0.0.dev0"), -1, bad);
    assert.equal(comparePep440Versions("0.0.dev0", bad), 1, bad);
  }
  for (const good of ["1.0", " 1.0 ", "V1.0RC1", "1.0.post1.dev2+local.7"]) {
    assert.equal(isValidPep440Version(good), true, good);
  }
});
