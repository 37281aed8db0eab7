import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { corpusPath, skipWithoutCorpus } from "../../test/support/corpus.js";
import { isCipError } from "../model/index.js";
import type { AnalysedPackage } from "./analysed-package.js";
import {
  dpkgFileKind,
  dpkgMd5sumsPackage,
  isValidDebVersion,
  readDpkgMd5sums,
  readDpkgStatus,
} from "./dpkg-status.js";

const D = "pkgdb/dpkg";
const read = (file: string, path?: string) =>
  readDpkgStatus(readFileSync(corpusPath(`${D}/${file}`)), { path });
const byName = (packages: AnalysedPackage[]) => new Map(packages.map((p) => [p.name, p]));
const nameVersions = (packages: AnalysedPackage[]) => packages.map((p) => `${p.name} ${p.version}`).sort();

// Expected values: SOURCES.md's pkgdb/dpkg rows (trivy Test_dpkgAnalyzer_Analyze, syft TestDpkgCataloger and
// Test_parseDpkgStatus) and its Computed facts row for the Ubuntu 18.04 status file
describe("readDpkgStatus: trivy fixtures", () => {
  test("ubuntu 18.04: 90 packages of 91 stanzas, the config-files one skipped", {
    skip: skipWithoutCorpus(`${D}/trivy/ubuntu-18.04/status`),
  }, () => {
    const { packages, skipped } = read("trivy/ubuntu-18.04/status");
    assert.equal(packages.length, 90);
    assert.equal(skipped.length, 1);
    assert.match(skipped[0]?.reason ?? "", /config-files/);
    const pkgs = byName(packages);
    assert.equal(pkgs.get("adduser")?.version, "3.116ubuntu1");
    assert.equal(pkgs.get("apt")?.version, "1.6.3ubuntu0.1");
    assert.equal(pkgs.get("bash")?.version, "4.4.18-2ubuntu1");
    assert.equal(pkgs.get("bsdutils")?.version, "1:2.31.1-0.4ubuntu3.1");
    assert.equal(pkgs.get("bsdutils")?.sourceName, "util-linux");
    assert.equal(pkgs.get("e2fsprogs")?.version, "1.44.1-1");
    // The e2fsprogs source package's binaries, all 1.44.1-1 (the USN-4142-1 match works on these)
    const e2fs = packages
      .filter((p) => (p.sourceName ?? p.name) === "e2fsprogs")
      .map((p) => `${p.name} ${p.sourceVersion ?? p.version}`);
    assert.deepEqual(e2fs.sort(), [
      "e2fsprogs 1.44.1-1",
      "libcom-err2 1.44.1-1",
      "libext2fs2 1.44.1-1",
      "libss2 1.44.1-1",
    ]);
  });

  test("only apt: one package", { skip: skipWithoutCorpus(`${D}/trivy/only-apt/status`) }, () => {
    assert.deepEqual(nameVersions(read("trivy/only-apt/status").packages), ["apt 1.6.3ubuntu0.1"]);
  });

  test("corrupted: 4 packages; the versionless and the invalid-version stanzas are dropped", {
    skip: skipWithoutCorpus(`${D}/trivy/corrupted/status`),
  }, () => {
    const { packages, skipped } = read("trivy/corrupted/status");
    assert.deepEqual(nameVersions(packages), [
      "libgcc1 1:5.1.1-12ubuntu1",
      "libpam-modules-bin 1.1.8-3.1ubuntu3",
      "libpam-runtime 1.1.8-3.1ubuntu3",
      "makedev 2.3.1-93ubuntu1",
    ]);
    assert.deepEqual(skipped.map((s) => s.name).sort(), [
      "brokenPackageWithNoVersionThatShouldGetThrownOut",
      "invalidpkg",
    ]);
    const libgcc = byName(packages).get("libgcc1");
    assert.equal(libgcc?.sourceName, "gcc-5");
    assert.equal(libgcc?.sourceVersion, "5.1.1-12ubuntu1");
  });

  test("third-party package", { skip: skipWithoutCorpus(`${D}/trivy/third-party/status`) }, () => {
    assert.deepEqual(nameVersions(read("trivy/third-party/status").packages), [
      "apt 1.6.3ubuntu0.1",
      "docker-ce 5:20.10.7~3-0~debian-buster",
    ]);
  });
});

describe("readDpkgStatus against trivy's report of an Ubuntu 18.04 image", () => {
  const report = "scanners/trivy/upstream/ubuntu-1804.json";
  // Not the same image (trivy's golden has e2fsprogs 1.44.1-1ubuntu1.1, the status file 1.44.1-1), so only
  // what both releases share is compared: the binaries built from e2fsprogs, which trivy lists for CVE-2019-5094
  test("the e2fsprogs binaries are the packages trivy reports for CVE-2019-5094", {
    skip: skipWithoutCorpus(report, `${D}/trivy/ubuntu-18.04/status`),
  }, () => {
    const golden = JSON.parse(readFileSync(corpusPath(report), "utf8")) as {
      Results: { Vulnerabilities?: { VulnerabilityID: string; PkgName: string }[] }[];
    };
    const trivy = golden.Results.flatMap((r) => r.Vulnerabilities ?? [])
      .filter((v) => v.VulnerabilityID === "CVE-2019-5094")
      .map((v) => v.PkgName)
      .sort();
    const ours = read("trivy/ubuntu-18.04/status")
      .packages.filter((p) => (p.sourceName ?? p.name) === "e2fsprogs")
      .map((p) => p.name)
      .sort();
    assert.deepEqual(ours, trivy);
  });
});

describe("readDpkgStatus: syft fixtures", () => {
  test("image-dpkg: the empty Package: stanza is no package", {
    skip: skipWithoutCorpus(`${D}/syft/image-dpkg/var/lib/dpkg/status`),
  }, () => {
    const { packages } = read("syft/image-dpkg/var/lib/dpkg/status");
    assert.deepEqual(nameVersions(packages), ["libpam-runtime 1.1.8-3.6"]);
    assert.equal(packages[0]?.sourceName, "pam");
  });

  const distroless = `${D}/syft/image-distroless-deb/var/lib/dpkg/status.d/libsqlite3-0`;
  test("distroless status.d entry (no Status field) and its md5sums file list", {
    skip: skipWithoutCorpus(distroless, `${distroless}.md5sums`),
  }, () => {
    const path = "/var/lib/dpkg/status.d/libsqlite3-0";
    const { packages } = readDpkgStatus(readFileSync(corpusPath(distroless)), { path });
    assert.equal(packages.length, 1);
    const [pkg] = packages;
    assert.equal(pkg?.name, "libsqlite3-0");
    assert.equal(pkg?.version, "3.34.1-3");
    assert.equal(pkg?.arch, "arm64");
    assert.equal(pkg?.sourceName, "sqlite3");
    assert.equal(pkg?.path, path);
    const files = readDpkgMd5sums(readFileSync(corpusPath(`${distroless}.md5sums`)), `${path}.md5sums`);
    assert.equal(files.length, 6);
    assert.deepEqual(files[0], {
      path: "/usr/lib/aarch64-linux-gnu/libsqlite3.so.0.8.6",
      digest: "md5:e11d70c96979a1328ae4e7e50542782b",
    });
  });

  test("single package: source, arch, installed size", {
    skip: skipWithoutCorpus(`${D}/syft/status.d/single`),
  }, () => {
    const [pkg] = read("syft/status.d/single").packages;
    assert.equal(pkg?.name, "apt");
    assert.equal(pkg?.version, "1.8.2");
    assert.equal(pkg?.sourceName, "apt-dev");
    assert.equal(pkg?.arch, "amd64");
    assert.equal(pkg?.installedSize, 4064);
  });

  test("installed size with a unit: 4KB is 4000", {
    skip: skipWithoutCorpus(`${D}/syft/status.d/installed-size-4KB`),
  }, () => {
    const [pkg] = read("syft/status.d/installed-size-4KB").packages;
    assert.equal(`${pkg?.name} ${pkg?.version}`, "apt 1.8.2");
    assert.equal(pkg?.installedSize, 4000);
  });

  test("multiple entries: syft's 3 entries, of which the versionless one is skipped as trivy does", {
    skip: skipWithoutCorpus(`${D}/syft/status.d/multiple`),
  }, () => {
    const { packages, skipped } = read("syft/status.d/multiple");
    assert.deepEqual(nameVersions(packages), ["tzdata 2020a-0+deb10u1", "util-linux 2.33.1-0.1"]);
    assert.equal(byName(packages).get("tzdata")?.sourceName, "tzdata-dev");
    // syft lists no-version with an empty version; a package without a version cannot be matched
    assert.deepEqual(
      skipped.map((s) => [s.name, s.reason]),
      [
        [undefined, "no package name"],
        ["no-version", "no version"],
      ],
    );
  });

  test("deinstall status packages are ignored", {
    skip: skipWithoutCorpus(`${D}/syft/status.d/deinstall`),
  }, () => {
    const { packages } = read("syft/status.d/deinstall");
    assert.deepEqual(nameVersions(packages), ["linux-image-6.14.0-1012-aws 6.14.0-1012.12~24.04.1"]);
    assert.equal(packages[0]?.sourceName, "linux-signed-aws-6.14");
  });

  test("corrupt entry (misspelled keys, a continuation of a non-field) is a parse error", {
    skip: skipWithoutCorpus(`${D}/syft/status.d/corrupt`),
  }, () => {
    assert.throws(
      () => read("syft/status.d/corrupt", "/var/lib/dpkg/status.d/corrupt"),
      (e: Error) =>
        isCipError(e) && e.code === "CIP_PACKAGE_DB_INVALID" && /status\.d\/corrupt line 6/.test(e.message),
    );
  });

  test("dependencies, restricted to installed packages, give syft's relationships", {
    skip: skipWithoutCorpus(`${D}/syft/status.d/coreutils-relationships`),
  }, () => {
    const { packages } = read("syft/status.d/coreutils-relationships");
    const installed = new Set(packages.map((p) => p.name));
    const deps = (name: string) =>
      (byName(packages).get(name)?.dependsOn ?? []).filter((d) => installed.has(d)).sort();
    assert.deepEqual(deps("coreutils"), ["libacl1", "libattr1", "libc6", "libgmp10", "libselinux1"]);
    assert.deepEqual(deps("libc6"), ["libgcc-s1"]);
    assert.deepEqual(deps("libgcc-s1"), ["gcc-12-base", "libc6"]);
    assert.deepEqual(deps("libselinux1"), ["libc6", "libpcre2-8-0"]);
    for (const name of ["libacl1", "libattr1", "libgmp10", "libpcre2-8-0"])
      assert.deepEqual(deps(name), ["libc6"], name);
  });

  test("dependency alternatives are all listed", {
    skip: skipWithoutCorpus(`${D}/syft/status.d/libpam-runtime`),
  }, () => {
    const pam = read("syft/status.d/libpam-runtime").packages.find((p) => p.name === "libpam-runtime");
    assert.equal(pam?.version, "1.5.2-6+deb12u1");
    assert.deepEqual([...(pam?.dependsOn ?? [])].sort(), [
      "cdebconf",
      "debconf-2.0",
      "debconf1",
      "debconf2",
      "libpam-modules",
    ]);
  });
});

describe("readDpkgStatus: format details", () => {
  test("purls carry the distro; status words other than removal keep the package", () => {
    const text = [
      "Package: libc6",
      "Status: install ok half-configured",
      "Architecture: amd64",
      "Version: 2.31-13+deb11u5",
      "Source: glibc",
      "",
      "Package: gone",
      "Status: purge ok not-installed",
      "Version: 1.0",
      "",
    ].join("\r\n");
    const { packages, skipped } = readDpkgStatus(text, { distro: { name: "debian", version: "11" } });
    assert.equal(packages[0]?.purl, "pkg:deb/debian/libc6@2.31-13%2Bdeb11u5?arch=amd64&distro=debian-11");
    assert.equal(packages[0]?.sourceVersion, "2.31-13+deb11u5");
    assert.equal(skipped[0]?.name, "gone");
  });

  test("a field twice in one entry is a parse error; an oversized file is refused", () => {
    assert.throws(
      () => readDpkgStatus("Package: a\nVersion: 1\nVersion: 2\n"),
      (e: Error) => isCipError(e) && e.code === "CIP_PACKAGE_DB_INVALID",
    );
    assert.throws(
      () => readDpkgStatus("Package: a\n", { maxBytes: 4 }),
      (e: Error) => isCipError(e) && e.code === "CIP_INPUT_TOO_LARGE",
    );
  });

  test("dpkg version syntax", () => {
    for (const good of ["1.0", "1:2.31.1-0.4ubuntu3.1", "5:20.10.7~3-0~debian-buster", "2020a-0+deb10u1"]) {
      assert.ok(isValidDebVersion(good), good);
    }
    for (const bad of ["1:5.#", "a1.0", "x:1.0", "1.0-", ""]) assert.ok(!isValidDebVersion(bad), bad);
  });

  test("which files are dpkg databases", () => {
    assert.equal(dpkgFileKind("/var/lib/dpkg/status"), "status");
    assert.equal(dpkgFileKind("var/lib/dpkg/status.d/libc6"), "status.d");
    assert.equal(dpkgFileKind("/var/lib/dpkg/status.d/libc6.md5sums"), "md5sums");
    assert.equal(dpkgFileKind("/var/lib/dpkg/info/libc6:amd64.md5sums"), "md5sums");
    assert.equal(dpkgFileKind("/var/lib/dpkg/status-old"), undefined);
    assert.equal(dpkgMd5sumsPackage("/var/lib/dpkg/info/libc6:amd64.md5sums"), "libc6");
    assert.equal(dpkgMd5sumsPackage("/var/lib/dpkg/status.d/libsqlite3-0.md5sums"), "libsqlite3-0");
  });
});
