import assert from "node:assert/strict";
import { test } from "node:test";
import {
  compareApkVersions,
  compareDebVersions,
  compareRpmVersions,
  compareVersions,
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
