import assert from "node:assert/strict";
import { test } from "node:test";
import { compareRpmVersions, parseRpmVersion, rpmvercmp } from "./rpm-version.js";

test("epochs count when only one side has one (0 when absent)", () => {
  assert.equal(compareRpmVersions("3", "1:2"), -1);
  assert.equal(compareRpmVersions("0:1.0-1", "1.0-1"), 0);
  assert.equal(compareRpmVersions("2:1.0", "1:9.9"), 1);
});

test("a version without a release sorts before the same version with one", () => {
  assert.equal(compareRpmVersions("1", "1-1"), -1);
  assert.equal(compareRpmVersions("1", "1-"), -1);
  assert.equal(compareRpmVersions("1-1", "1"), 1);
  assert.equal(compareRpmVersions("2.17-326.el7_9", "2.17-326.el7_9"), 0);
});

test("OSV record against an installed package: ALSA-2022-1065 on AlmaLinux 8 (SOURCES.md)", () => {
  assert.equal(compareRpmVersions("1:1.1.1k-4.el8", "1:1.1.1k-6.el8_5"), -1);
});

test("rpmvercmp: vectors from rpm's tests/rpmvercmp.at", () => {
  const cases: [string, string, number][] = [
    ["1.0", "1.0", 0],
    ["2.0.1a", "2.0.1", 1],
    ["5.5p10", "5.5p1", 1],
    ["10xyz", "10.1xyz", -1],
    ["10.0001", "10.1", 0],
    ["2_0", "2.0", 0],
    ["1.0~rc1", "1.0", -1],
    ["1.0~rc1~git123", "1.0~rc1", -1],
    ["1.0^", "1.0", 1],
    ["1.0^git1", "1.01", -1],
    ["1.0^20160102", "1.0^20160101^git1", 1],
    ["1.0~rc1^git1", "1.0~rc1", 1],
    ["1.0^git1~pre", "1.0", 1],
  ];
  for (const [a, b, want] of cases) {
    assert.equal(rpmvercmp(a, b), want, `rpmvercmp(${a}, ${b})`);
    assert.equal(rpmvercmp(b, a), -want || 0, `rpmvercmp(${b}, ${a})`);
  }
});

test("a version splits as rpm's parseEVR: digits and a colon make the epoch, the last hyphen the release", () => {
  assert.deepEqual(parseRpmVersion("1:1.1.1k-6.el8_5"), {
    epoch: "1",
    version: "1.1.1k",
    release: "6.el8_5",
  });
  assert.deepEqual(parseRpmVersion("2.17"), { version: "2.17" });
  assert.deepEqual(parseRpmVersion("1.0-rc1-2"), { version: "1.0-rc1", release: "2" });
  assert.deepEqual(parseRpmVersion("x:1-2"), { version: "x:1", release: "2" });
});
