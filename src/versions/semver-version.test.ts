import assert from "node:assert/strict";
import { test } from "node:test";
import { compareSemverVersions, isValidSemverVersion } from "./semver-version.js";

function assertAscending(versions: string[]): void {
  for (let i = 0; i + 1 < versions.length; i++) {
    const [a, b] = [versions[i] as string, versions[i + 1] as string];
    assert.equal(compareSemverVersions(a, b), -1, `${a} < ${b}`);
    assert.equal(compareSemverVersions(b, a), 1, `${b} > ${a}`);
  }
}

test("precedence example of SemVer 2.0.0 §11", () => {
  assertAscending([
    "1.0.0-alpha",
    "1.0.0-alpha.1",
    "1.0.0-alpha.beta",
    "1.0.0-beta",
    "1.0.0-beta.2",
    "1.0.0-beta.11",
    "1.0.0-rc.1",
    "1.0.0",
    "2.0.0",
    "2.1.0",
    "2.1.1",
  ]);
});

test("build metadata and a leading v are ignored (Go's +incompatible)", () => {
  assert.equal(compareSemverVersions("1.0.0+20130313144700", "1.0.0+exp.sha.5114f85"), 0);
  assert.equal(compareSemverVersions("v2.0.0+incompatible", "2.0.0"), 0);
  assert.equal(compareSemverVersions("v1.2.3", "1.2.3"), 0);
});

test("Go pseudo-versions sort after their base version and before the next release (go.dev/ref/mod)", () => {
  assertAscending(
    [
      "v0.0.0-20191109021931-daa7c04131f5",
      "v0.0.0",
      "v1.2.3",
      "v1.2.4-0.20191109021931-daa7c04131f5",
      "v1.2.4",
      "v1.2.4-pre",
      "v1.2.5-pre.0.20191109021931-daa7c04131f5",
    ].sort((a, b) => compareSemverVersions(a, b)),
  );
  assert.equal(compareSemverVersions("v1.2.4-0.20191109021931-daa7c04131f5", "v1.2.3"), 1);
  assert.equal(compareSemverVersions("v1.2.4-0.20191109021931-daa7c04131f5", "v1.2.4"), -1);
  assert.equal(compareSemverVersions("v1.2.4-pre.0.20191109021931-daa7c04131f5", "v1.2.4-pre"), 1);
});

test("OSV records against installed modules (SOURCES.md record × target rows)", () => {
  // GO-2024-2963: stdlib v1.22.1 lies in [1.22.0-0, 1.22.5).
  assert.equal(compareSemverVersions("v1.22.1", "1.22.0-0"), 1);
  assert.equal(compareSemverVersions("v1.22.1", "1.22.5"), -1);
  // GO-2021-0113: golang.org/x/text v0.3.6 is before the fix 0.3.7.
  assert.equal(compareSemverVersions("v0.3.6", "0.3.7"), -1);
});

test("validity is SemVer 2.0.0's grammar, with an optional v", () => {
  for (const good of [
    "1.0.0",
    "v1.2.3",
    "1.0.0-alpha.1",
    "1.0.0+build.1",
    "v0.0.0-20191109021931-daa7c04131f5",
  ]) {
    assert.equal(isValidSemverVersion(good), true, good);
  }
  for (const bad of ["1.0", "01.0.0", "1.0.0-01", "1.0.0-", "1.2.3.4", "latest", ""]) {
    assert.equal(isValidSemverVersion(bad), false, bad);
  }
});
