import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import Database from "better-sqlite3";
import { matchPackages } from "./match-packages.js";
import { parseOsvRecord } from "./osv-record.js";
import { defaultVulnDatabasePath, openVulnDatabase } from "./vuln-database.js";

const work = mkdtempSync(join(tmpdir(), "cipolice-vulndb-file-"));
after(() => rmSync(work, { recursive: true, force: true }));

describe("vulnerability database file", () => {
  it("lives in the XDG data directory by default, else under ~/.local/share", () => {
    assert.equal(defaultVulnDatabasePath({ XDG_DATA_HOME: "/data" }, "/home/u"), "/data/cipolice/osv.db");
    assert.equal(defaultVulnDatabasePath({}, "/home/u"), "/home/u/.local/share/cipolice/osv.db");
    // The XDG spec says a relative XDG_DATA_HOME is invalid and is ignored.
    assert.equal(
      defaultVulnDatabasePath({ XDG_DATA_HOME: "rel" }, "/home/u"),
      "/home/u/.local/share/cipolice/osv.db",
    );
  });

  it("creates an empty database with its schema version, and opens it again", () => {
    const path = join(work, "nested", "dir", "osv.db");
    const created = openVulnDatabase(path, { create: true });
    assert.deepEqual(
      { ...created.info(), path: undefined },
      {
        path: undefined,
        schemaVersion: 2,
        records: 0,
        affected: 0,
      },
    );
    created.close();
    const reopened = openVulnDatabase(path, { readonly: true });
    assert.equal(reopened.info().records, 0);
    reopened.close();
  });

  it("refuses a database of another schema version, another SQLite file and a file that is not SQLite", () => {
    const other = join(work, "other.db");
    const raw = new Database(other);
    raw.exec(
      "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL); INSERT INTO meta VALUES ('schema_version', '99')",
    );
    raw.close();
    assert.throws(() => openVulnDatabase(other), /schema version 99, this cipolice reads version 2/);
    const foreign = join(work, "foreign.db");
    const store = new Database(foreign);
    store.exec("CREATE TABLE reports (id TEXT)");
    store.close();
    assert.throws(() => openVulnDatabase(foreign, { create: true }), /an SQLite database of something else/);
    const text = join(work, "text.db");
    writeFileSync(text, "this is not a database, just some text that is long enough to have a header");
    assert.throws(
      () => openVulnDatabase(text),
      (error: Error & { code?: string }) => {
        assert.equal(error.code, "CIP_STORE");
        assert.match(error.message, /^Cannot open the vulnerability database: .*text\.db\)$/);
        return true;
      },
    );
  });

  it("matches only once an import has finished its package index, and follows a record to its new package", () => {
    const path = join(work, "index.db");
    const record = (name: string, modified: string) =>
      JSON.stringify({
        id: "GHSA-test-0001",
        modified,
        affected: [
          {
            package: { ecosystem: "npm", name },
            ranges: [{ type: "SEMVER", events: [{ fixed: "2.0.0" }, { introduced: "1.0.0" }] }],
          },
        ],
      });
    const db = openVulnDatabase(path, { create: true });
    try {
      const first = record("left-pad", "2026-01-01T00:00:00Z");
      db.transaction(() => db.store(parseOsvRecord(first, "first.json"), first));
      // An import that stopped between storing records and indexing them is refused, not half-read.
      assert.throws(
        () => matchPackages(db, [{ name: "left-pad", version: "1.5.0", type: "npm" }]),
        /last import did not finish .*index\.db\)/,
      );
      assert.equal(db.refreshPackageIndex(), 1);
      const found = matchPackages(db, [{ name: "left-pad", version: "1.5.0", type: "npm" }]);
      // Events stored out of order are sorted at indexing: 1.5.0 is inside [1.0.0, 2.0.0).
      assert.deepEqual(
        found.map((v) => [v.id, v.package.name, v.fix.versions]),
        [["GHSA-test-0001", "left-pad", ["2.0.0"]]],
      );
      const moved = record("right-pad", "2026-02-01T00:00:00Z");
      db.transaction(() => db.store(parseOsvRecord(moved, "moved.json"), moved));
      assert.equal(db.refreshPackageIndex(), 2, "the package it left and the one it names now");
      assert.deepEqual(matchPackages(db, [{ name: "left-pad", version: "1.5.0", type: "npm" }]), []);
      assert.equal(matchPackages(db, [{ name: "right-pad", version: "1.5.0", type: "npm" }]).length, 1);
      // A withdrawn record matches nothing any more.
      const withdrawn = JSON.stringify({
        ...JSON.parse(record("right-pad", "2026-03-01T00:00:00Z")),
        withdrawn: "2026-03-01T00:00:00Z",
      });
      db.transaction(() => db.store(parseOsvRecord(withdrawn, "withdrawn.json"), withdrawn));
      db.refreshPackageIndex();
      assert.deepEqual(matchPackages(db, [{ name: "right-pad", version: "1.5.0", type: "npm" }]), []);
    } finally {
      db.close();
    }
  });
});
