import assert from "node:assert/strict";
import { test } from "node:test";
import { compareApkVersions, isValidApkVersion } from "./apk-version.js";

// From apk-tools' test/unit/version.data (commit 90b974fd): plain version lines must validate, `!` lines not.
const VALID = [
  "1.2",
  "0.1_pre2",
  "0.1_pre2~1234abcd",
  "0.1_p1_pre2",
  "0.1_alpha1_pre2",
  "0.1_git20240101_pre1",
];
const INVALID = [
  "",
  "0.1bc",
  "0.1bc1",
  "0.1a1",
  "0.1a.1",
  "0.1_pre2~",
  "0.1_pre2~1234xbcd",
  "0.1_pre2~1234abcd_pre1",
  "0.1_pre2-r1~1234xbcd",
  "0.1_foobar",
  "0.1_foobar1",
  "0.1-pre1.1",
  "0.1-r",
  "0.1-r2_pre1",
  "0.1-r2_p3_pre1",
  "0.1-r2-r3",
  "0.1-r2.1",
  ".1",
  "a",
  "_pre1",
  "-r1",
  "0.1_",
  "0.1_-r0",
  "0.1__alpha",
  "0.1_1_alpha",
];

test("validity follows apk-tools' version grammar", () => {
  for (const version of VALID) assert.equal(isValidApkVersion(version), true, version);
  for (const version of INVALID) assert.equal(isValidApkVersion(version), false, JSON.stringify(version));
});

test("apk order: vectors from apk-tools' version.data, each both ways", () => {
  const cases: [string, string, number][] = [
    ["1.0~1234", "1.0~2345", -1],
    ["1.0~1234-r1", "1.0~2345-r0", -1],
    ["1.0~1234-r1", "1.0~1234-r0", 1],
    ["8.2.0", "8.2.001", -1],
    ["8.2.0015", "8.2.002", -1],
    ["0.1.0_alpha_pre2", "0.1.0_alpha", -1],
    ["1.0_p10-r0", "1.0_p9-r0", 1],
    ["6.0_pre1", "6.0", -1],
    ["1.3-r0", "1.3.1-r0", -1],
  ];
  for (const [a, b, want] of cases) {
    assert.equal(compareApkVersions(a, b), want, `${a} vs ${b}`);
    assert.equal(compareApkVersions(b, a), -want, `${b} vs ${a}`);
  }
});

test("a trailing number or revision makes a version newer (version.data: 1.2.1 > 1.2, 1.2.2-r1 > 1.2.2)", () => {
  assert.equal(compareApkVersions("1.2.1", "1.2"), 1);
  assert.equal(compareApkVersions("1.2.2-r1", "1.2.2"), 1);
  assert.equal(compareApkVersions("0.12.3", "0.12"), 1);
});

// Lines of osv-scalibr's alpine-versions.txt (corpus), which orders what apk-tools rejects.
test("rejected versions still get a place: an unreadable tail sorts first, two such tails by string order", () => {
  assert.equal(compareApkVersions("1-r-0", "1-r0"), -1);
  assert.equal(compareApkVersions("1", "1-ruff"), 1);
  assert.equal(compareApkVersions("a", "b"), -1);
  assert.equal(compareApkVersions(".1", "1"), -1);
});
