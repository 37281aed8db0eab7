import assert from "node:assert/strict";
import { test } from "node:test";
import {
  compareApkVersions,
  compareDebVersions,
  compareRpmVersions,
  compareVersions,
  rpmVerCmp,
  versionFlavorFor,
} from "./version-compare.js";

const sign = (n: number) => Math.sign(n);

test("dpkg order: numbers numerically, ~ before the end, letters before symbols, epochs when both have one", () => {
  const cases: [string, string, number][] = [
    ["1.2.10", "1.15.1", -1],
    ["1.0", "1.0", 0],
    ["1.0~rc1", "1.0", -1],
    ["1.0", "1.0+b1", -1],
    ["1.0a", "1.0+", -1],
    ["1.1.1n-0+deb11u5", "1.1.1n-0+deb11u4", 1],
    ["2:1.0", "1:9.9", 1],
    ["1:1.0", "2:0.1", -1],
    ["1:1.0", "2.0", -1],
    ["1.01", "1.1", 0],
    ["7.74.0-1.3+deb11u7", "7.74.0-1.3+deb11u10", -1],
  ];
  for (const [a, b, want] of cases) assert.equal(sign(compareDebVersions(a, b)), want, `${a} vs ${b}`);
});

test("rpm order: rpmvercmp segments, ~ before anything, ^ after the end, release only when both have one", () => {
  const cases: [string, string, number][] = [
    ["1.2-3.el7", "1.2-4.el7", -1],
    ["1.10", "1.9", 1],
    ["1.0~rc1", "1.0", -1],
    ["1.0^git1", "1.0", 1],
    ["1.0a", "1.0", 1],
    ["1.0", "1.0.1", -1],
    ["2.17-326.el7_9", "2.17", 0],
    ["1:2.0-1", "2:1.0-1", -1],
    ["1.001", "1.1", 0],
  ];
  for (const [a, b, want] of cases) assert.equal(sign(compareRpmVersions(a, b)), want, `${a} vs ${b}`);
});

// Vectors from rpm's own rpmvercmp tests (tests/rpmvercmp.at), each in both directions.
const RPMVERCMP: [string, string, number][] = [
  ["1.0", "1.0", 0],
  ["1.0", "2.0", -1],
  ["2.0.1a", "2.0.1", 1],
  ["5.5p10", "5.5p1", 1],
  ["10xyz", "10.1xyz", -1],
  ["xyz10", "xyz10.1", -1],
  ["6.0.rc1", "6.0", 1],
  ["10b2", "10a1", 1],
  ["1.0a", "1.0aa", -1],
  ["10.0001", "10.1", 0],
  ["4.999.9", "5.0", -1],
  ["2.0", "2_0", 0],
  ["+a", "_a", 0],
  ["1.0fc4", "1.0.fc4", 0],
  // A numeric segment is newer than an alphabetic one at the same place.
  ["1.0", "1.a", 1],
  ["xyz.4", "8", -1],
  ["xyz.4", "2", -1],
  ["1.0.1", "1.0.a1", 1],
  ["2.el8", "el8.2", 1],
  // `~` sorts before anything, even the end of the string.
  ["1.0~rc1", "1.0", -1],
  ["1.0~rc1", "1.0~rc2", -1],
  ["1.0~rc1~git123", "1.0~rc1", -1],
  ["1.0~rc1", "1.0~rc1", 0],
  ["1.0~", "1.0", -1],
  ["1.0~rc1", "1.0.", -1],
  ["1.0~rc1", "1.0a", -1],
  // `^` sorts after the end of the string but before anything else.
  ["1.0^", "1.0", 1],
  ["1.0^git1", "1.0", 1],
  ["1.0^git1", "1.0^git2", -1],
  ["1.0^git1", "1.01", -1],
  ["1.0^git1", "1.0.1", -1],
  ["1.0^20160101", "1.0.1", -1],
  ["1.0^20160102", "1.0^20160101^git1", 1],
  ["1.0^git1", "1.0a", -1],
  ["1.0^git1", "1.0^git1", 0],
  // Both together: `~` still sorts first, `^` still after the end.
  ["1.0~rc1^git1", "1.0~rc1", 1],
  ["1.0~rc1^git1", "1.0", -1],
  ["1.0~rc1^git1", "1.0~rc2", -1],
  ["1.0^git1~pre", "1.0^git1", -1],
  ["1.0^git1~pre", "1.0", 1],
];

test("rpmvercmp: numeric newer than alphabetic, ~ before anything, ^ after the end but before the rest", () => {
  for (const [a, b, want] of RPMVERCMP) {
    assert.equal(sign(rpmVerCmp(a, b)), want, `rpmvercmp(${a}, ${b})`);
    assert.equal(sign(rpmVerCmp(b, a)), want === 0 ? 0 : -want, `rpmvercmp(${b}, ${a})`);
    assert.equal(sign(compareRpmVersions(`${a}-1`, `${b}-1`)), want, `${a}-1 vs ${b}-1`);
  }
});

test("apk order: suffixes _alpha < _rc < none < _p, letters, -r revisions", () => {
  const cases: [string, string, number][] = [
    ["1.2.3-r0", "1.2.3-r1", -1],
    ["1.2.3_rc1", "1.2.3", -1],
    ["1.2.3_alpha", "1.2.3_beta", -1],
    ["1.2.3_p1", "1.2.3", 1],
    ["1.2.3a", "1.2.3", 1],
    ["1.2.10", "1.2.9", 1],
    ["3.0.8-r0", "3.0.8-r0", 0],
    ["1.0", "1", 1],
  ];
  for (const [a, b, want] of cases) assert.equal(sign(compareApkVersions(a, b)), want, `${a} vs ${b}`);
});

test("the scheme follows the distro (then its like list), else the package type", () => {
  assert.equal(versionFlavorFor({ name: "ubuntu" }, "python"), "deb");
  assert.equal(versionFlavorFor({ name: "rocky", like: ["rhel"] }, undefined), "rpm");
  assert.equal(versionFlavorFor({ name: "myos", like: ["alpine"] }, "npm"), "apk");
  assert.equal(versionFlavorFor(undefined, "rpm"), "rpm");
  assert.equal(versionFlavorFor(undefined, "npm"), undefined);
  assert.equal(compareVersions("deb", "1.0", "1.0"), 0);
});
