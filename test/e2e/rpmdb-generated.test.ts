import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import Database from "better-sqlite3";
import { type RpmPackage, readRpmDatabase } from "../../src/analysis/rpm/read-rpm-database.js";
import { corpusPath, skipWithoutCorpus } from "../support/corpus.js";

/*
 * Real rpm databases written by Debian's `rpm` package, read by our pure TypeScript readers and compared,
 * package for package and in order, with what `rpm -qa --dbpath` itself lists. Debian's rpm 4.18 writes
 * only SQLite; it reads Berkeley DB through its own read-only backend (`bdb_ro`) and has no ndb. For
 * Berkeley DB the test writes a hash `Packages` file from the header blobs rpm stored in SQLite (the layout
 * rpm ≤ 4.15 used: 4-byte keys, headers in overflow page chains), checks that rpm's `bdb_ro` lists it, and
 * compares that list with ours; it also compares both readers on the corpus's real Berkeley DB files.
 */

const RPM = "/usr/bin/rpm";
const RPMBUILD = "/usr/bin/rpmbuild";
const NO_RPM =
  !existsSync(RPM) || !existsSync(RPMBUILD)
    ? "Debian's rpm and rpmbuild (package rpm) are not installed"
    : false;

/** What we compare: rpm's NEVRA line and the metadata line, as `rpm --qf` prints them. */
const QUERY_FORMAT =
  "%{NAME} %{EPOCHNUM}:%{VERSION}-%{RELEASE} %{ARCH}|%{LICENSE}|%{VENDOR}|%{SOURCERPM}|%{MODULARITYLABEL}\\n";

function ours(pkg: RpmPackage): string {
  const none = (value: string | undefined) => value ?? "(none)";
  return [
    `${pkg.name} ${pkg.epoch ?? 0}:${pkg.rpmVersion}-${pkg.release} ${none(pkg.arch)}`,
    none(pkg.licenses?.[0]),
    none(pkg.vendor),
    none(pkg.sourceRpm),
    none(pkg.modularityLabel),
  ].join("|");
}

function rpmQueryAll(dbPath: string, backend?: string): string[] {
  const define = backend === undefined ? [] : ["--define", `_db_backend ${backend}`];
  const out = execFileSync(RPM, [...define, "-qa", "--dbpath", dbPath, "--qf", QUERY_FORMAT], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
  // A tag stored as an empty string (the dive fixture's VENDOR) prints as nothing; our reader drops it.
  return out
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => line.replace(/\|(?=\||$)/g, "|(none)"));
}

/** Every installed file as `path mode digest`, package by package in `rpm -qa` order. */
function rpmFiles(dbPath: string, backend?: string): string[] {
  const define = backend === undefined ? [] : ["--define", `_db_backend ${backend}`];
  const out = run(RPM, [
    ...define,
    "-qa",
    "--dbpath",
    dbPath,
    "--qf",
    "[%{FILENAMES} %{FILEMODES:octal} %{FILEDIGESTS}\\n]",
  ]);
  return out.split("\n").filter((line) => line !== "");
}

function ourFiles(packages: RpmPackage[]): string[] {
  return packages.flatMap((p) =>
    (p.files ?? []).map((f) =>
      `${f.path} ${(f.mode ?? 0).toString(8)} ${f.digest?.replace(/^\w+:/, "") ?? ""}`.trimEnd(),
    ),
  );
}

function run(command: string, args: string[]): string {
  return execFileSync(command, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

/** A tiny noarch package: a spec rpmbuild turns into an .rpm with these tags and files. */
interface Spec {
  name: string;
  version: string;
  release: string;
  epoch?: number;
  license: string;
  vendor?: string;
  files: number;
  modularityLabel?: string;
}

const SPECS: Spec[] = [
  {
    name: "cip-hello",
    version: "1.2.3",
    release: "4.test",
    epoch: 2,
    license: "MIT and GPLv2+",
    vendor: "CIPolicE Tests",
    files: 1,
  },
  // Hundreds of long file names make a header of tens of KiB: overflow chains of many pages.
  {
    name: "cip-many-files",
    version: "0.9",
    release: "1",
    license: "Apache-2.0",
    vendor: "Ünïcode Vendor GmbH",
    files: 400,
  },
  { name: "cip-no-files", version: "2024.01.05", release: "0.1.rc1", epoch: 0, license: "ISC", files: 0 },
  {
    name: "cip-modular",
    version: "18.1",
    release: "3.module+el9",
    license: "BSD-3-Clause",
    files: 2,
    modularityLabel: "nodejs:18:9020020230101:abcdef12",
  },
  { name: "cip-tilde", version: "1.0~rc1", release: "1", epoch: 7, license: "GPL-3.0-or-later", files: 3 },
];

function specText(spec: Spec): string {
  const lines = [
    `Name: ${spec.name}`,
    `Version: ${spec.version}`,
    `Release: ${spec.release}`,
    ...(spec.epoch === undefined ? [] : [`Epoch: ${spec.epoch}`]),
    "Summary: CIPolicE rpm database test package",
    `License: ${spec.license}`,
    ...(spec.vendor === undefined ? [] : [`Vendor: ${spec.vendor}`]),
    "BuildArch: noarch",
    "%description",
    "A package made by the rpm database end-to-end test.",
    "%install",
    `mkdir -p %{buildroot}/usr/share/${spec.name}`,
    `for i in $(seq 1 ${spec.files}); do echo "$i" > %{buildroot}/usr/share/${spec.name}/file-$i-with-a-rather-long-name-to-grow-the-header.txt; done`,
    "%files",
    ...(spec.files === 0 ? [] : [`/usr/share/${spec.name}/*`]),
  ];
  return `${lines.join("\n")}\n`;
}

function buildRpm(top: string, spec: Spec): string {
  const specFile = join(top, "SPECS", `${spec.name}.spec`);
  writeFileSync(specFile, specText(spec));
  const defines = ["--define", `_topdir ${top}`, "--define", "_build_id_links none"];
  if (spec.modularityLabel !== undefined) defines.push("--define", `modularitylabel ${spec.modularityLabel}`);
  run(RPMBUILD, [...defines, "--quiet", "-bb", specFile]);
  const dir = join(top, "RPMS", "noarch");
  const file = readdirSync(dir).find((f) => f.startsWith(`${spec.name}-${spec.version}`));
  assert.ok(file, `rpmbuild made no rpm for ${spec.name}`);
  return join(dir, file);
}

/** Whether this rpm can write a database with the backend: initdb makes its file, not the dummy backend. */
function canWrite(backend: string, dir: string, file: string): boolean {
  mkdirSync(dir, { recursive: true });
  try {
    run(RPM, ["--define", `_db_backend ${backend}`, "--initdb", "--dbpath", dir]);
  } catch {
    return false;
  }
  return existsSync(join(dir, file));
}

function installAll(backend: string, dbPath: string, rpms: string[]): void {
  const define = ["--define", `_db_backend ${backend}`];
  // --justdb records the packages without unpacking files; Debian's rpm needs --force-debian to install at all.
  const install = (files: string[]) =>
    run(RPM, [...define, "-i", "--justdb", "--nodeps", "--force-debian", "--dbpath", dbPath, ...files]);
  install(rpms.slice(0, 3));
  install(rpms.slice(3));
  // Erase one and put it back, so the database has a freed record and a later key.
  run(RPM, [...define, "-e", "--justdb", "--nodeps", "--dbpath", dbPath, "cip-hello"]);
  install(rpms.slice(0, 1));
}

/** FNV-1-style hash Berkeley DB's hash access method uses by default (`__ham_func5`). */
function bdbHash(key: Uint8Array): number {
  let h = 0;
  for (const byte of key) h = (Math.imul(h, 16777619) ^ byte) >>> 0;
  return h;
}

/**
 * Writes a Berkeley DB (version 9, little-endian) hash file holding the records, as rpm's Berkeley DB
 * backend stored `Packages`: 4-byte native-endian keys, each value in an overflow page chain, a record 0
 * holding the next key, four buckets so the walk crosses bucket pages.
 */
function writeBerkeleyDbHash(records: { key: number; blob: Uint8Array }[], pageSize: number): Buffer {
  const maxBucket = 3;
  const pages: Buffer[] = [Buffer.alloc(pageSize)];
  const newPage = (type: number): number => {
    const page = Buffer.alloc(pageSize);
    page.writeUInt32LE(pages.length, 8);
    page[25] = type;
    pages.push(page);
    return pages.length - 1;
  };
  // Bucket b lives on page b + 1: spares[0..2] = 1.
  const bucketPages = Array.from({ length: maxBucket + 1 }, () => newPage(13));
  const lastInChain = [...bucketPages];
  const writeOverflow = (data: Uint8Array): number => {
    const room = pageSize - 26;
    let first = 0;
    let previous = 0;
    for (let at = 0; at < data.length; at += room) {
      const pageNo = newPage(7);
      const page = pages[pageNo] as Buffer;
      const chunk = data.subarray(at, Math.min(at + room, data.length));
      page.set(chunk, 26);
      page.writeUInt16LE(1, 20);
      page.writeUInt16LE(chunk.length, 22);
      page.writeUInt32LE(previous, 12);
      if (previous !== 0) (pages[previous] as Buffer).writeUInt32LE(pageNo, 16);
      else first = pageNo;
      previous = pageNo;
    }
    return first;
  };
  const entries = [
    {
      key: 0,
      value: Buffer.from(Uint32Array.of(Math.max(...records.map((r) => r.key)) + 1).buffer) as Uint8Array,
    },
    ...records.map((r) => ({ key: r.key, value: r.blob })),
  ];
  for (const { key, value } of entries) {
    const keyBytes = Buffer.alloc(4);
    keyBytes.writeUInt32LE(key);
    let bucket = bdbHash(keyBytes) & 3;
    if (bucket > maxBucket) bucket &= 1;
    const item = Buffer.alloc(12);
    if (key === 0) {
      // rpm's record 0 is small and stays on the page.
    } else {
      item[0] = 3;
      item.writeUInt32LE(writeOverflow(value), 4);
      item.writeUInt32LE(value.length, 8);
    }
    const valueItem = key === 0 ? Buffer.concat([Buffer.of(1), value]) : item;
    const keyItem = Buffer.concat([Buffer.of(1), keyBytes]);
    let pageNo = lastInChain[bucket] as number;
    let page = pages[pageNo] as Buffer;
    let n = page.readUInt16LE(20);
    let low = n === 0 ? pageSize : page.readUInt16LE(26 + 2 * (n - 1));
    if (low - keyItem.length - valueItem.length < 26 + 2 * (n + 2)) {
      const next = newPage(13);
      page.writeUInt32LE(next, 16);
      (pages[next] as Buffer).writeUInt32LE(pageNo, 12);
      lastInChain[bucket] = next;
      pageNo = next;
      page = pages[next] as Buffer;
      n = 0;
      low = pageSize;
    }
    const keyOff = low - keyItem.length;
    const valueOff = keyOff - valueItem.length;
    keyItem.copy(page, keyOff);
    valueItem.copy(page, valueOff);
    page.writeUInt16LE(keyOff, 26 + 2 * n);
    page.writeUInt16LE(valueOff, 26 + 2 * n + 2);
    page.writeUInt16LE(n + 2, 20);
    page.writeUInt16LE(valueOff, 22);
  }
  const meta = pages[0] as Buffer;
  meta.writeUInt32LE(0x00061561, 12);
  meta.writeUInt32LE(9, 16);
  meta.writeUInt32LE(pageSize, 20);
  meta[25] = 8;
  meta.writeUInt32LE(pages.length - 1, 32);
  meta.writeUInt32LE(entries.length, 40);
  meta.writeUInt32LE(entries.length, 44);
  meta.writeUInt32LE(maxBucket, 72);
  meta.writeUInt32LE(3, 76);
  meta.writeUInt32LE(1, 80);
  meta.writeUInt32LE(entries.length, 88);
  for (let i = 0; i < 3; i++) meta.writeUInt32LE(1, 96 + 4 * i);
  return Buffer.concat(pages);
}

describe("rpm databases written by Debian's rpm, against rpm -qa --dbpath", { skip: NO_RPM }, () => {
  let work = "";
  let rpms: string[] = [];

  before(() => {
    work = mkdtempSync(join(tmpdir(), "cip-rpmdb-"));
    const top = join(work, "rpmbuild");
    for (const sub of ["SPECS", "SOURCES", "BUILD", "RPMS", "SRPMS"])
      mkdirSync(join(top, sub), { recursive: true });
    rpms = SPECS.map((spec) => buildRpm(top, spec));
  });

  after(() => {
    if (work !== "") rmSync(work, { recursive: true, force: true });
  });

  it("reports which backends this rpm can write", (t) => {
    const version = run(RPM, ["--version"]).trim();
    const backends = ["sqlite", "bdb", "ndb"].filter((b) =>
      canWrite(
        b,
        join(work, `probe-${b}`),
        { sqlite: "rpmdb.sqlite", bdb: "Packages", ndb: "Packages.db" }[b] as string,
      ),
    );
    // Shown in the test output, so a run on another rpm build says what it covered.
    t.diagnostic(`${version}: writes ${backends.join(", ")}`);
    assert.ok(backends.includes("sqlite"), "rpm ≥ 4.16 writes SQLite databases");
  });

  it("SQLite: our list equals rpm -qa, package for package", () => {
    const db = join(work, "sqlite");
    assert.ok(canWrite("sqlite", db, "rpmdb.sqlite"));
    installAll("sqlite", db, rpms);
    const expected = rpmQueryAll(db);
    assert.equal(expected.length, SPECS.length);
    const { format, packages } = readRpmDatabase(readFileSync(join(db, "rpmdb.sqlite")), {
      where: db,
      files: true,
    });
    assert.equal(format, "sqlite");
    assert.deepEqual(packages.map(ours), expected);
    const files = rpmFiles(db);
    assert.ok(files.length > 400);
    assert.deepEqual(
      ourFiles(packages),
      files.map((line) => line.trimEnd()),
    );
    // The spec's values, seen through both readers.
    assert.ok(
      expected.includes(
        "cip-hello 2:1.2.3-4.test noarch|MIT and GPLv2+|CIPolicE Tests|cip-hello-1.2.3-4.test.src.rpm|(none)",
      ),
    );
    assert.equal(
      packages.find((p) => p.name === "cip-modular")?.modularityLabel,
      "nodejs:18:9020020230101:abcdef12",
    );
    assert.equal(packages.find((p) => p.name === "cip-tilde")?.version, "7:1.0~rc1-1");
  });

  for (const pageSize of [4096, 512]) {
    it(`Berkeley DB (${pageSize}-byte pages): our list equals rpm -qa through rpm's bdb_ro reader`, (t) => {
      const sqliteDir = join(work, "sqlite");
      const bdbDir = join(work, `bdb-${pageSize}`);
      mkdirSync(bdbDir, { recursive: true });
      if (canWrite("bdb", join(work, `bdb-probe-${pageSize}`), "Packages")) {
        // An rpm with Berkeley DB support writes the file itself.
        installAll("bdb", bdbDir, rpms);
      } else {
        t.diagnostic(
          "this rpm cannot write Berkeley DB; the file is written from the headers rpm stored in SQLite",
        );
        const sqlite = new Database(join(sqliteDir, "rpmdb.sqlite"), { readonly: true, fileMustExist: true });
        const rows = sqlite.prepare("SELECT hnum, blob FROM Packages ORDER BY hnum").all() as {
          hnum: number;
          blob: Buffer;
        }[];
        sqlite.close();
        writeFileSync(
          join(bdbDir, "Packages"),
          writeBerkeleyDbHash(
            rows.map((r) => ({ key: r.hnum, blob: r.blob })),
            pageSize,
          ),
        );
      }
      const expected = rpmQueryAll(bdbDir, "bdb_ro");
      assert.equal(expected.length, SPECS.length, "rpm's bdb_ro reader lists every package");
      const { format, packages } = readRpmDatabase(readFileSync(join(bdbDir, "Packages")), {
        where: bdbDir,
        files: true,
      });
      assert.equal(format, "bdb");
      assert.deepEqual(packages.map(ours), expected);
      assert.deepEqual(
        ourFiles(packages),
        rpmFiles(bdbDir, "bdb_ro").map((line) => line.trimEnd()),
      );
      assert.deepEqual(
        [...expected].sort(),
        [...rpmQueryAll(sqliteDir)].sort(),
        "the same packages as the SQLite database",
      );
    });
  }

  it("ndb: our list equals rpm -qa", (t) => {
    const db = join(work, "ndb");
    if (!canWrite("ndb", db, "Packages.db")) {
      t.skip(
        "this rpm was built without ndb (`_db_backend ndb` falls back to the dummy backend); the corpus SLE 15 ndb file is tested in src/analysis/rpm",
      );
      return;
    }
    installAll("ndb", db, rpms);
    const expected = rpmQueryAll(db, "ndb");
    assert.deepEqual(readRpmDatabase(readFileSync(join(db, "Packages.db"))).packages.map(ours), expected);
  });

  const corpusFiles: [string, string, string | undefined][] = [
    ["pkgdb/rpm/go-rpmdb/libuuid/Packages", "Packages", "bdb_ro"],
    ["pkgdb/rpm/syft/centos8-dive/Packages", "Packages", "bdb_ro"],
    ["pkgdb/rpm/go-rpmdb/cbl-mariner-2.0/rpmdb.sqlite", "rpmdb.sqlite", undefined],
  ];
  for (const [relative, name, backend] of corpusFiles) {
    it(`${relative}: our list equals rpm -qa`, { skip: skipWithoutCorpus(relative) }, () => {
      const dir = mkdtempSync(join(work, "corpus-"));
      copyFileSync(corpusPath(relative), join(dir, name));
      const expected = rpmQueryAll(dir, backend);
      assert.ok(expected.length > 0);
      assert.deepEqual(readRpmDatabase(readFileSync(corpusPath(relative))).packages.map(ours), expected);
    });
  }
});
