import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { corpusPath, skipWithoutCorpus } from "../../../test/support/corpus.js";
import { isCipError } from "../../model/index.js";
import { packageFromHeader } from "./read-rpm-database.js";
import { RPMTAG, RpmHeader } from "./rpm-header.js";

const BLOB = "pkgdb/rpm/go-rpmdb/blob.bin";
const blob = () => Buffer.from(readFileSync(corpusPath(BLOB)));
const invalid = (pattern: RegExp) => (e: unknown) =>
  isCipError(e) && e.code === "CIP_PACKAGE_DB_INVALID" && pattern.test(e.message);

/** Index entry i of a header blob starts here. */
const entryAt = (i: number) => 8 + 16 * i;

describe("RpmHeader over go-rpmdb's blob.bin", { skip: skipWithoutCorpus(BLOB) }, () => {
  it("imports the header and reads its NEVRA (go-rpmdb TestNevra)", () => {
    const header = RpmHeader.parse(blob(), BLOB);
    const pkg = packageFromHeader(header, BLOB);
    assert.equal(`${pkg.name}-${pkg.version}.${pkg.arch}`, "publicsuffix-list-dafsa-20210518-2.fc35.noarch");
    assert.equal(header.string(RPMTAG.VENDOR), "Fedora Project");
    assert.equal(
      pkg.purl,
      "pkg:rpm/fedora/publicsuffix-list-dafsa@20210518-2.fc35?arch=noarch&upstream=publicsuffix-list-20210518-2.fc35.src.rpm",
    );
  });

  it("refuses its file list: a directory index is out of range (go-rpmdb InstalledFiles errors)", () => {
    const header = RpmHeader.parse(blob(), BLOB);
    assert.throws(() => header.files(), invalid(/directory index \d+ of file \d+ is out of range/));
  });
});

describe("RpmHeader refuses damaged headers", { skip: skipWithoutCorpus(BLOB) }, () => {
  it("a huge index entry count", () => {
    const b = blob();
    b.writeUInt32BE(0xffffffff, 0);
    assert.throws(() => RpmHeader.parse(b, "x"), invalid(/index entry count 4294967295/));
  });

  it("a data length past the blob", () => {
    const b = blob();
    b.writeUInt32BE(b.readUInt32BE(4) + 1, 4);
    assert.throws(() => RpmHeader.parse(b, "x"), invalid(/the blob has \d+/));
  });

  it("an entry offset outside the data store", () => {
    const b = blob();
    b.writeInt32BE(0x7fffff00, entryAt(2) + 8);
    assert.throws(() => RpmHeader.parse(b, "x"), invalid(/outside the \d+-byte data store/));
  });

  it("an entry claiming more strings than bytes", () => {
    const b = blob();
    b.writeUInt32BE(0x7fffffff, entryAt(2) + 12);
    assert.throws(() => RpmHeader.parse(b, "x"), invalid(/claims 2147483647 strings/));
  });

  it("an unknown entry type", () => {
    const b = blob();
    b.writeUInt32BE(42, entryAt(2) + 4);
    assert.throws(() => RpmHeader.parse(b, "x"), invalid(/unknown type 42/));
  });

  it("a region trailer that claims more entries than the header has", () => {
    const b = blob();
    const il = b.readUInt32BE(0);
    const trailer = 8 + 16 * il + b.readInt32BE(entryAt(0) + 8);
    b.writeInt32BE(-16 * (il + 5), trailer + 8);
    assert.throws(() => RpmHeader.parse(b, "x"), invalid(/region trailer/));
  });

  it("a string with no terminating NUL is an error when read, not a read past the store", () => {
    const b = blob();
    const il = b.readUInt32BE(0);
    const dl = b.readUInt32BE(4);
    // Point NAME at the last byte of the store and make that byte non-NUL.
    const name = Array.from({ length: il }, (_, i) => i).find(
      (i) => b.readInt32BE(entryAt(i)) === RPMTAG.NAME,
    ) as number;
    b.writeInt32BE(dl - 1, entryAt(name) + 8);
    b[8 + 16 * il + dl - 1] = 0x41;
    const header = RpmHeader.parse(b, "x");
    assert.throws(() => header.string(RPMTAG.NAME), invalid(/no terminating NUL/));
  });

  it("a blob shorter than its preamble", () => {
    assert.throws(() => RpmHeader.parse(new Uint8Array(5), "x"), invalid(/shorter than the 8-byte preamble/));
  });
});
