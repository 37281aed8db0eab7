import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { corpusPath, skipWithoutCorpus } from "../../test/support/corpus.js";
import { parseOsvRecord } from "./osv-record.js";

function corpusRecords(): string[] {
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const full = join(dir, name);
      if (statSync(full).isDirectory()) {
        if (name !== "schema" && name !== "inputs" && name !== "version-ordering") walk(full);
      } else if (name.endsWith(".json")) files.push(full);
    }
  };
  walk(corpusPath("osv"));
  return files;
}

describe("OSV record", () => {
  it("reads every OSV record of the corpus", { skip: skipWithoutCorpus("osv") }, () => {
    const files = corpusRecords();
    assert.ok(files.length >= 50);
    for (const file of files) {
      const record = parseOsvRecord(readFileSync(file), file);
      assert.ok(record.id.length > 0 && record.modified.length > 0, file);
    }
  });

  it("keeps what matching needs: ranges, versions, upstream ids, Ubuntu binaries", {
    skip: skipWithoutCorpus("osv/ubuntu/USN-4142-1.json", "osv/osv-scanner-offline/Debian/DLA-3008-1.json"),
  }, () => {
    const dla = parseOsvRecord(
      readFileSync(corpusPath("osv/osv-scanner-offline/Debian/DLA-3008-1.json")),
      "DLA",
    );
    // SOURCES.md: Debian:9 openssl, fixed 1.1.0l-1~deb9u6, 19 enumerated versions, upstream CVE-2022-1292.
    const entry = dla.affected[0];
    assert.equal(entry?.ecosystem, "Debian:9");
    assert.equal(entry?.name, "openssl");
    assert.equal(entry?.versions.length, 19);
    assert.deepEqual(entry?.ranges[0]?.events, [
      { kind: "introduced", version: "0" },
      { kind: "fixed", version: "1.1.0l-1~deb9u6" },
    ]);
    assert.ok(dla.upstream.includes("CVE-2022-1292"));
    const usn = parseOsvRecord(readFileSync(corpusPath("osv/ubuntu/USN-4142-1.json")), "USN");
    const bionic = usn.affected.find((a) => a.ecosystem === "Ubuntu:18.04:LTS");
    assert.ok(bionic?.binaries?.includes("libcom-err2"));
  });

  it("refuses text that is not JSON, naming the file", () => {
    assert.throws(
      () => parseOsvRecord('{"id": "GHSA-1", "modified": ', "all.zip!GHSA-1.json"),
      (error: Error) => {
        assert.equal((error as { code?: string }).code, "CIP_PARSE");
        assert.match(
          error.message,
          /^Cannot read OSV record: it is not valid JSON: .*\(all\.zip!GHSA-1\.json\)$/,
        );
        return true;
      },
    );
  });

  it("refuses records missing required fields or with fields of the wrong type", () => {
    assert.throws(
      () => parseOsvRecord('{"modified": "2024-01-01T00:00:00Z"}', "a.json"),
      /id is missing \(a\.json\)/,
    );
    assert.throws(() => parseOsvRecord('{"id": "X-1"}', "b.json"), /modified is missing \(b\.json: X-1\)/);
    assert.throws(
      () =>
        parseOsvRecord(
          '{"id": "X-1", "modified": "t", "affected": [{"package": {"name": 5, "ecosystem": "npm"}}]}',
          "c.json",
        ),
      /affected\[0\]\.package\.name is not a string \(c\.json: X-1\)/,
    );
    assert.throws(
      () =>
        parseOsvRecord(
          '{"id": "X-1", "modified": "t", "affected": [{"package": {"name": "a", "ecosystem": "npm"}, "ranges": [{"type": "SEMVER", "events": [{"fixed": "1"}]}]}]}',
          "d.json",
        ),
      /ranges\[0\] has no introduced event/,
    );
    assert.throws(() => parseOsvRecord('{"id": "../../etc", "modified": "t"}', "e.json"), /is not an OSV id/);
    assert.throws(() => parseOsvRecord("[1,2]", "f.json"), /not a JSON object/);
  });

  it("refuses a record listing a million versions, and one over the byte limit, quickly", () => {
    const versions = Array.from({ length: 1_000_000 }, (_, i) => `1.0.${i}`);
    const text = JSON.stringify({
      id: "X-2",
      modified: "2024-01-01T00:00:00Z",
      affected: [{ package: { name: "a", ecosystem: "npm" }, versions }],
    });
    assert.throws(
      () => parseOsvRecord(text, "huge.json"),
      /affected\[0\]\.versions has 1000000 entries, over the limit of 100000 \(huge\.json: X-2\)/,
    );
    assert.throws(
      () => parseOsvRecord(text, "huge.json", { maxBytes: 1024 * 1024 }),
      (error: Error) => {
        assert.equal((error as { code?: string }).code, "CIP_INPUT_TOO_LARGE");
        assert.match(error.message, /over the 1048576-byte record limit \(huge\.json\)/);
        return true;
      },
    );
  });
});
