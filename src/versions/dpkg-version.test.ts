import assert from "node:assert/strict";
import { test } from "node:test";
import {
  compareDpkgParts,
  compareDpkgVersions,
  isValidDpkgVersion,
  parseDpkgVersion,
} from "./dpkg-version.js";

const sign = (n: number) => Math.sign(n);

test("epochs count even when only one side has one (0 when absent), unlike anchore-engine", () => {
  // deb-version(7): the epoch, when omitted, is 0; a larger epoch wins whatever follows.
  assert.equal(compareDpkgVersions("1:1.0", "2.0"), 1);
  assert.equal(compareDpkgVersions("0:1.0", "1.0"), 0);
  assert.equal(compareDpkgVersions("2.0", "1:0.1"), -1);
  assert.equal(compareDpkgVersions("10:1", "9:2"), 1);
});

test("~ sorts before the end, letters before other symbols, numbers by value however long", () => {
  assert.equal(compareDpkgVersions("1.0~rc1", "1.0"), -1);
  assert.equal(compareDpkgVersions("1.0~~", "1.0~"), -1);
  assert.equal(compareDpkgVersions("1.0a", "1.0+"), -1);
  assert.equal(compareDpkgVersions("1.1.1n-0+deb11u5", "1.1.1n-0+deb11u4"), 1);
  assert.equal(compareDpkgVersions("99999999999999999999999", "100000000000000000000000"), -1);
  // Trailing blanks are not part of the version.
  assert.equal(compareDpkgVersions(" 1.0-1 ", "1.0-1"), 0);
});

test("OSV records against installed packages (SOURCES.md record × target rows)", () => {
  // USN-4142-1 on Ubuntu 18.04: e2fsprogs 1.44.1-1 and 1.44.1-1ubuntu1.1 are before the fix 1.44.1-1ubuntu1.2.
  assert.equal(compareDpkgVersions("1.44.1-1", "1.44.1-1ubuntu1.2"), -1);
  assert.equal(compareDpkgVersions("1.44.1-1ubuntu1.1", "1.44.1-1ubuntu1.2"), -1);
  // DLA-3008-1 on Debian 9: openssl 1.1.0k-1~deb9u1 is before the fix 1.1.0l-1~deb9u6.
  assert.equal(compareDpkgVersions("1.1.0k-1~deb9u1", "1.1.0l-1~deb9u6"), -1);
});

test("dpkg rejects empty parts, a non-numeric epoch and inner blanks; such versions sort first", () => {
  for (const bad of [
    "",
    "  ",
    ":1.0",
    "a:1.0",
    "1:",
    "1.0-",
    "1:-1",
    "1 0",
    "1.2.3-not-a-debian:version!@#$",
  ]) {
    assert.equal(isValidDpkgVersion(bad), false, JSON.stringify(bad));
    assert.equal(parseDpkgVersion(bad), undefined, JSON.stringify(bad));
    assert.equal(compareDpkgVersions(bad, "0~"), -1, JSON.stringify(bad));
    assert.equal(compareDpkgVersions("0~", bad), 1, JSON.stringify(bad));
  }
  assert.equal(sign(compareDpkgVersions("a:1", "b:1")), -1, "two rejected versions: string order");
  for (const good of ["0", "1:0", "1.0-1", "1:2:3-4", "1.0-1-2", "1.0~rc1+dfsg-2ubuntu0.1"]) {
    assert.equal(isValidDpkgVersion(good), true, good);
  }
});

test("a version splits at the first colon and the last hyphen", () => {
  assert.deepEqual(parseDpkgVersion("1:2.30-1ubuntu1"), {
    epoch: "1",
    upstream: "2.30",
    revision: "1ubuntu1",
  });
  assert.deepEqual(parseDpkgVersion("2:1.0-rc1-3"), { epoch: "2", upstream: "1.0-rc1", revision: "3" });
  assert.deepEqual(parseDpkgVersion("1.0"), { upstream: "1.0", revision: "" });
  // An empty revision equals 0.
  assert.equal(compareDpkgParts("", "0"), 0);
  assert.equal(compareDpkgParts("1.2.10", "1.2.9"), 1);
});
