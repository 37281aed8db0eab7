import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { corpusPath, skipWithoutCorpus } from "../../test/support/corpus.js";
import {
  SYFT_APK_MULTIPLE_2_PACKAGES,
  TRIVY_APK_PACKAGES,
} from "../../test/support/scanner-package-lists.js";
import type { AnalysedPackage } from "./analysed-package.js";
import { isApkDatabasePath, readApkInstalled } from "./apk-installed.js";

const A = "pkgdb/apk";
const read = (file: string) => readApkInstalled(readFileSync(corpusPath(`${A}/${file}`)));
const nameVersions = (packages: AnalysedPackage[]) => packages.map((p) => `${p.name} ${p.version}`);

// Expected values: SOURCES.md's pkgdb/apk rows (trivy TestParseApkInfo, syft TestApkDBCataloger,
// TestSinglePackageDetails, Test_corruptDb, TestExtraFileAttributes) and its Computed facts rows
describe("readApkInstalled", () => {
  test("trivy's database: 15 packages of 16 P: stanzas, the versionless one dropped", {
    skip: skipWithoutCorpus(`${A}/trivy/installed`),
  }, () => {
    const { packages, skipped, problems } = read("trivy/installed");
    assert.deepEqual(nameVersions(packages), TRIVY_APK_PACKAGES);
    assert.ok(skipped.some((s) => s.name === "invalidPackageWithoutAVersion" && s.reason === "no version"));
    assert.deepEqual(problems, []);
    const byName = new Map(packages.map((p) => [p.name, p]));
    assert.equal(byName.get("libcrypto1.0")?.sourceName, "openssl");
    assert.equal(byName.get("libssl1.0")?.sourceName, "openssl");
    // trivy then normalises GPL2 to GPL-2.0-only; the reader keeps the database's words
    assert.deepEqual(byName.get("busybox")?.licenses, ["GPL2"]);
    assert.deepEqual(byName.get("musl-utils")?.licenses, ["MIT", "BSD", "GPL2+"]);
    assert.deepEqual(
      byName.get("musl")?.files?.map((f) => f.path),
      ["/lib/libc.musl-x86_64.so.1", "/lib/ld-musl-x86_64.so.1"],
    );
  });

  test("syft multiple-1: 4 packages, busybox-binsh from origin busybox", {
    skip: skipWithoutCorpus(`${A}/syft/multiple-1/lib/apk/db/installed`),
  }, () => {
    const { packages } = read("syft/multiple-1/lib/apk/db/installed");
    assert.deepEqual(nameVersions(packages).sort(), [
      "bash 5.2.21-r0",
      "busybox-binsh 1.36.1-r15",
      "musl 1.2.4_git20230717-r4",
      "readline 8.2.1-r2",
    ]);
    assert.equal(packages.find((p) => p.name === "busybox-binsh")?.sourceName, "busybox");
  });

  test("syft multiple-2: the 14 packages of an Alpine 3.16 base image, in order", {
    skip: skipWithoutCorpus(`${A}/syft/multiple-2/lib/apk/db/installed`),
  }, () => {
    assert.deepEqual(
      nameVersions(read("syft/multiple-2/lib/apk/db/installed").packages),
      SYFT_APK_MULTIPLE_2_PACKAGES,
    );
  });

  test("syft corrupt db: an error names the first line, the rest is still read", {
    skip: skipWithoutCorpus(`${A}/syft/corrupt/lib/apk/db/installed`),
  }, () => {
    const { problems } = read("syft/corrupt/lib/apk/db/installed");
    assert.ok(problems.length >= 1);
    assert.equal(problems[0]?.code, "CIP_PACKAGE_DB_INVALID");
    assert.match(problems[0]?.message ?? "", /this is a corrupt db.*line 1\)/);
  });

  test("syft single: musl-utils with its metadata and file list", {
    skip: skipWithoutCorpus(`${A}/syft/single`),
  }, () => {
    const [pkg] = read("syft/single").packages;
    assert.equal(`${pkg?.name} ${pkg?.version}`, "musl-utils 1.1.24-r2");
    assert.equal(pkg?.sourceName, "musl");
    assert.equal(pkg?.arch, "x86_64");
    assert.equal(pkg?.installedSize, 151552);
    assert.equal(pkg?.maintainer, "Timo Teräs <timo.teras@iki.fi>");
    assert.deepEqual(pkg?.dependsOn, ["scanelf", "so:libc.musl-x86_64.so.1"]);
    assert.deepEqual(pkg?.files?.[0], {
      path: "/sbin/ldconfig",
      owner: "0:0",
      mode: 0o755,
      digest: "Q1Kja2+POZKxEkUOZqwSjC6kmaED4=",
    });
    assert.deepEqual(
      pkg?.files?.map((f) => f.path),
      ["/sbin/ldconfig", "/usr/bin/iconv", "/usr/bin/ldd", "/usr/bin/getconf", "/usr/bin/getent"],
    );
  });

  test("syft base and empty-deps-and-provides", {
    skip: skipWithoutCorpus(`${A}/syft/base`, `${A}/syft/empty-deps-and-provides`),
  }, () => {
    assert.deepEqual(nameVersions(read("syft/base").packages), ["alpine-baselayout 3.2.0-r6"]);
    const [data] = read("syft/empty-deps-and-provides").packages;
    assert.equal(`${data?.name} ${data?.version}`, "alpine-baselayout-data 3.4.0-r0");
    assert.equal(data?.dependsOn, undefined);
  });

  test("syft extra file attributes: owner, mode and digest of policytool", {
    skip: skipWithoutCorpus(`${A}/syft/extra-file-attributes`),
  }, () => {
    const { packages } = read("syft/extra-file-attributes");
    assert.equal(packages.length, 1);
    const file = packages[0]?.files?.find((f) => f.path === "/usr/lib/jvm/java-1.8-openjdk/bin/policytool");
    assert.deepEqual(file, {
      path: "/usr/lib/jvm/java-1.8-openjdk/bin/policytool",
      owner: "0:0",
      mode: 0o755,
      digest: "Q1M0C9qfC/+kdRiOodeihG2GMRtkE=",
    });
  });

  test("SPDX expressions stay whole; purl with the distro", () => {
    const { packages } = readApkInstalled(
      "P:x\nV:1.0-r0\nA:aarch64\nL:MIT AND (BSD-2-Clause OR GPL-2.0-only)\n",
      {
        distro: { name: "alpine", version: "3.19.1" },
      },
    );
    assert.deepEqual(packages[0]?.licenses, ["MIT AND (BSD-2-Clause OR GPL-2.0-only)"]);
    assert.equal(packages[0]?.purl, "pkg:apk/alpine/x@1.0-r0?arch=aarch64&distro=alpine-3.19.1");
    assert.ok(isApkDatabasePath("lib/apk/db/installed"));
  });
});
