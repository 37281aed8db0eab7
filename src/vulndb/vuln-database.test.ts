import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import Database from "better-sqlite3";
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
        schemaVersion: 1,
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
    assert.throws(() => openVulnDatabase(other), /schema version 99, this cipolice reads version 1/);
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
});
