import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { corpusPath, skipWithoutCorpus } from "../../../test/support/corpus.js";
import { isCipError } from "../../model/index.js";
import { detectRpmDatabaseFormat, readRpmDatabase, readRpmHeaders } from "./read-rpm-database.js";

const SLE15 = "pkgdb/rpm/go-rpmdb/sle15-bci/Packages.db";
const MARINER = "pkgdb/rpm/go-rpmdb/cbl-mariner-2.0/rpmdb.sqlite";
const LIBUUID = "pkgdb/rpm/go-rpmdb/libuuid/Packages";
const DIVE = "pkgdb/rpm/syft/centos8-dive/Packages";
const MANIFEST = "pkgdb/rpm/syft/mariner2-distroless/container-manifest-2";

function read(relative: string) {
  return readRpmDatabase(readFileSync(corpusPath(relative)), { where: relative });
}

/** go-rpmdb `SLE15WithNDB()`: name, VERSION-RELEASE and arch of the 35 packages in slot order. */
const SLE15_WITH_NDB = [
  "system-user-root 20190513-3.3.1 noarch",
  "filesystem 15.0-11.3.2 x86_64",
  "glibc 2.31-9.3.2 x86_64",
  "libpcre1 8.45-20.10.1 x86_64",
  "libgmp10 6.1.2-4.6.1 x86_64",
  "libgcc_s1 11.2.1+git610-1.3.9 x86_64",
  "libcap2 2.26-4.6.1 x86_64",
  "libstdc++6 11.2.1+git610-1.3.9 x86_64",
  "libncurses6 6.1-5.9.1 x86_64",
  "terminfo-base 6.1-5.9.1 x86_64",
  "libattr1 2.4.47-2.19 x86_64",
  "libselinux1 3.0-1.31 x86_64",
  "libreadline7 7.0-19.6.1 x86_64",
  "bash 4.4-19.6.1 x86_64",
  "libacl1 2.2.52-4.3.1 x86_64",
  "coreutils 8.32-3.2.1 x86_64",
  "sles-release 15.3-55.4.1 x86_64",
  "ca-certificates-mozilla-prebuilt 2.44-21.1 noarch",
  "libgpg-error0 1.29-1.8 x86_64",
  "libpopt0 1.16-3.22 x86_64",
  "file-magic 5.32-7.14.1 noarch",
  "libbz2-1 1.0.6-5.11.1 x86_64",
  "liblua5_3-5 5.3.6-3.6.1 x86_64",
  "liblzma5 5.2.3-4.3.1 x86_64",
  "libz1 1.2.11-3.21.1 x86_64",
  "libzstd1 1.4.4-1.6.1 x86_64",
  "libmagic1 5.32-7.14.1 x86_64",
  "libdw1 0.168-4.5.3 x86_64",
  "libebl-plugins 0.168-4.5.3 x86_64",
  "libelf1 0.168-4.5.3 x86_64",
  "libcrypt1 4.4.15-2.51 x86_64",
  "perl-base 5.26.1-15.87 x86_64",
  "libgcrypt20 1.8.2-8.39.1 x86_64",
  "rpm-config-SUSE 1-5.6.1 noarch",
  "rpm-ndb 4.14.3-40.1 x86_64",
];

describe("readRpmDatabase over upstream fixtures", () => {
  it("lists SLE 15's ndb Packages.db as go-rpmdb's SLE15WithNDB(), in slot order", {
    skip: skipWithoutCorpus(SLE15),
  }, () => {
    const { format, packages } = read(SLE15);
    assert.equal(format, "ndb");
    assert.deepEqual(
      packages.map((p) => `${p.name} ${p.version} ${p.arch}`),
      SLE15_WITH_NDB,
    );
    assert.ok(
      packages.every((p) => p.epoch === undefined && p.vendor === "SUSE LLC <https://www.suse.com/>"),
    );
    const glibc = packages.find((p) => p.name === "glibc");
    assert.equal(glibc?.sourceRpm, "glibc-2.31-9.3.2.src.rpm");
    assert.equal(glibc?.installedSize, 6183407);
    assert.deepEqual(glibc?.licenses, [
      "LGPL-2.1-or-later AND LGPL-2.1-or-later WITH GCC-exception-2.0 AND GPL-2.0-or-later",
    ]);
    assert.equal(glibc?.purl, "pkg:rpm/suse/glibc@2.31-9.3.2?arch=x86_64&upstream=glibc-2.31-9.3.2.src.rpm");
  });

  it("reads curl from CBL-Mariner 2.0's SQLite database as go-rpmdb does", {
    skip: skipWithoutCorpus(MARINER),
  }, () => {
    const { format, packages } = read(MARINER);
    assert.equal(format, "sqlite");
    assert.equal(packages.length, 129);
    const curl = packages.find((p) => p.name === "curl");
    assert.deepEqual(
      {
        version: curl?.version,
        arch: curl?.arch,
        installedSize: curl?.installedSize,
        licenses: curl?.licenses,
        vendor: curl?.vendor,
        sourceRpm: curl?.sourceRpm,
      },
      {
        version: "7.76.0-6.cm2",
        arch: "x86_64",
        installedSize: 326023,
        licenses: ["MIT"],
        vendor: "Microsoft Corporation",
        sourceRpm: "curl-7.76.0-6.cm2.src.rpm",
      },
    );
    // Microsoft ships several distributions: no namespace unless the caller names the distro.
    assert.equal(curl?.purl, undefined);
    const withDistro = readRpmDatabase(readFileSync(corpusPath(MARINER)), { distroId: "mariner" }).packages;
    assert.equal(
      withDistro.find((p) => p.name === "curl")?.purl,
      "pkg:rpm/mariner/curl@7.76.0-6.cm2?arch=x86_64&upstream=curl-7.76.0-6.cm2.src.rpm",
    );
  });

  it("keeps the epoch of Mariner's ca-certificates packages in the version", {
    skip: skipWithoutCorpus(MARINER),
  }, () => {
    const withEpoch = read(MARINER).packages.filter((p) => p.epoch !== undefined);
    assert.deepEqual(withEpoch.map((p) => `${p.name} ${p.version}`).sort(), [
      "ca-certificates-base 1:2.0.0-1.cm2",
      "ca-certificates-shared 1:2.0.0-1.cm2",
      "ca-certificates-tools 1:2.0.0-1.cm2",
    ]);
  });

  it("reads libuuid from a RHEL 8 Berkeley DB with its file list", {
    skip: skipWithoutCorpus(LIBUUID),
  }, () => {
    const { format, packages } = read(LIBUUID);
    assert.equal(format, "bdb");
    assert.equal(packages.length, 1);
    const [libuuid] = packages;
    assert.equal(`${libuuid?.name} ${libuuid?.version} ${libuuid?.arch}`, "libuuid 2.32.1-42.el8_8 x86_64");
    assert.equal(libuuid?.sourceRpm, "util-linux-2.32.1-42.el8_8.src.rpm");
    assert.deepEqual(libuuid?.licenses, ["BSD"]);
    assert.equal(libuuid?.vendor, "Red Hat, Inc.");
    assert.equal(libuuid?.installedSize, 35104);
    assert.equal(libuuid?.sourceName, "util-linux");
    assert.equal(libuuid?.sourceVersion, "2.32.1-42.el8_8");
    const files = readRpmHeaders(readFileSync(corpusPath(LIBUUID)))[0]?.header.files();
    assert.deepEqual(
      files?.map((f) => f.path),
      [
        "/usr/lib/.build-id",
        "/usr/lib/.build-id/df/ef6a880adac817216ab9866779a0725e017647",
        "/usr/lib64/libuuid.so.1",
        "/usr/lib64/libuuid.so.1.3.0",
        "/usr/share/licenses/libuuid",
        "/usr/share/licenses/libuuid/COPYING",
        "/usr/share/licenses/libuuid/COPYING.BSD-3",
      ],
    );
    assert.deepEqual(files?.[3], {
      path: "/usr/lib64/libuuid.so.1.3.0",
      mode: 0x81ed,
      size: 33496,
      digest: "sha256:3c8f59a0e39cce53501045859f5c9a86b82fedd558a2f4110ab1823047b43745",
    });
    // A symlink has no digest.
    assert.deepEqual(files?.[2], { path: "/usr/lib64/libuuid.so.1", mode: 0xa1ff, size: 16 });
  });

  it("reads syft's dive fixture: one package and its one file", { skip: skipWithoutCorpus(DIVE) }, () => {
    const { format, packages } = read(DIVE);
    assert.equal(format, "bdb");
    assert.equal(packages.length, 1);
    const [dive] = packages;
    assert.equal(`${dive?.name} ${dive?.version} ${dive?.arch}`, "dive 0.9.2-1 x86_64");
    assert.equal(dive?.epoch, undefined);
    assert.deepEqual(dive?.licenses, ["MIT"]);
    assert.equal(dive?.sourceRpm, "dive-0.9.2-1.src.rpm");
    const files = readRpmDatabase(readFileSync(corpusPath(DIVE)), { files: true }).packages[0]?.files ?? [];
    assert.equal(files.length, 1);
    assert.equal(files[0]?.path, "/usr/local/bin/dive");
    assert.equal(files[0]?.mode, 33261);
    assert.equal(files[0]?.size, 12406784);
    assert.match(files[0]?.digest ?? "", /^sha256:81d29f327ba23096[0-9a-f]+afaa55$/);
  });

  it("reads the 5 packages of a Mariner distroless manifest, vim with epoch 2", {
    skip: skipWithoutCorpus(MANIFEST),
  }, () => {
    const { format, packages } = read(MANIFEST);
    assert.equal(format, "manifest");
    assert.deepEqual(
      packages.map((p) => `${p.name} ${p.version}`),
      [
        "mariner-release 2.0-12.cm2",
        "filesystem 1.1-9.cm2",
        "glibc 2.35-2.cm2",
        "openssl-libs 1.1.1k-15.cm2",
        "vim 2:9.0-1.cm2",
      ],
    );
    const vim = packages[4];
    assert.equal(vim?.epoch, 2);
    assert.equal(vim?.sourceRpm, "vim-9.0-1.cm2.src.rpm");
    assert.equal(vim?.arch, "x86_64");
  });
});

describe("detectRpmDatabaseFormat", () => {
  it("refuses bytes that are no rpm database with a clear error", () => {
    const bytes = Buffer.from("just some text\nwith lines\n".repeat(40));
    assert.equal(detectRpmDatabaseFormat(bytes), undefined);
    assert.throws(
      () => readRpmDatabase(bytes, { where: "/var/lib/rpm/Packages" }),
      (e: unknown) =>
        isCipError(e) &&
        e.code === "CIP_PACKAGE_DB_INVALID" &&
        /not an SQLite, Berkeley DB or ndb/.test(e.message),
    );
  });

  it("refuses an empty file", () => {
    assert.throws(
      () => readRpmDatabase(new Uint8Array(0)),
      (e: unknown) => isCipError(e),
    );
  });
});
