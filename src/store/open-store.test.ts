import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import Database from "better-sqlite3";
import { isCipError } from "../model/index.js";
import { MIGRATIONS } from "./migrations/index.js";
import { openStore, parseStoreSpec } from "./open-store.js";
import { isStoreError } from "./store-contract.js";

describe("parseStoreSpec", () => {
  it("reads sqlite:PATH, sqlite:///abs, bare .db/.sqlite paths and postgres URLs", () => {
    assert.deepEqual(parseStoreSpec("sqlite:data/store.db"), { kind: "sqlite", path: "data/store.db" });
    assert.deepEqual(parseStoreSpec("sqlite:///var/lib/c.db"), { kind: "sqlite", path: "/var/lib/c.db" });
    assert.deepEqual(parseStoreSpec("sqlite::memory:"), { kind: "sqlite", path: ":memory:" });
    assert.deepEqual(parseStoreSpec("/var/lib/cipolice/store.sqlite"), {
      kind: "sqlite",
      path: "/var/lib/cipolice/store.sqlite",
    });
    assert.deepEqual(parseStoreSpec("store.db"), { kind: "sqlite", path: "store.db" });
    assert.deepEqual(parseStoreSpec("postgres://u@h/db"), { kind: "postgres", url: "postgres://u@h/db" });
    assert.deepEqual(parseStoreSpec("postgresql://u@h:5433/db?sslmode=require"), {
      kind: "postgres",
      url: "postgresql://u@h:5433/db?sslmode=require",
    });
  });

  it("refuses anything else with CIP_USAGE naming the accepted forms, and never shows a password", () => {
    for (const spec of ["mysql://root:hunter2@db/x", "store.txt", "sqlite:", "", "redis://h"]) {
      assert.throws(
        () => parseStoreSpec(spec),
        (error: Error) => {
          assert.ok(isCipError(error) && error.code === "CIP_USAGE", String(error));
          assert.match(error.message, /^Cannot open the store: .*sqlite:PATH.*postgres:\/\//);
          assert.doesNotMatch(error.message, /hunter2/);
          return true;
        },
      );
    }
  });
});

describe("openStore adapter loading", () => {
  const cases = [
    { spec: "sqlite::memory:", loads: [false, true] },
    // Nothing listens on port 1: the open fails, after loading its driver
    { spec: "postgres://cip@127.0.0.1:1/db", loads: [true, false] },
  ];
  for (const { spec, loads } of cases) {
    it(`loads only the driver of ${spec.split(":")[0]} ([pg, better-sqlite3] = ${loads})`, async () => {
      // A fresh process: this one may have loaded both drivers already
      const script = [
        'import { createRequire } from "node:module";',
        `const { openStore } = await import(${JSON.stringify(new URL("./open-store.ts", import.meta.url).href)});`,
        `await openStore(${JSON.stringify(spec)}).then((store) => store.close(), () => {});`,
        "const loaded = Object.keys(createRequire(import.meta.url).cache);",
        "console.log(JSON.stringify(['pg', 'better-sqlite3'].map((m) => loaded.some((k) => k.includes('/node_modules/' + m + '/')))));",
      ].join("\n");
      const { stdout } = await promisify(execFile)(
        process.execPath,
        ["--import", "tsx", "--input-type=module", "-e", script],
        { cwd: new URL("../..", import.meta.url).pathname },
      );
      assert.deepEqual(JSON.parse(stdout), loads);
    });
  }
});

describe("openStore with SQLite", () => {
  let dir = "";
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "cipolice-open-store-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("creates the file and its directories, in WAL mode, with the migrations recorded once", async () => {
    const file = join(dir, "a", "b", "store.db");
    for (let i = 0; i < 2; i++) {
      const store = await openStore(`sqlite:${file}`);
      assert.equal(store.kind, "sqlite");
      assert.equal(store.location, file);
      await store.close();
    }
    const db = new Database(file, { readonly: true });
    try {
      assert.equal(db.pragma("journal_mode", { simple: true }), "wal");
      assert.deepEqual(
        db.prepare("SELECT version, name FROM schema_migrations ORDER BY version").all(),
        MIGRATIONS.map((m) => ({ version: m.version, name: m.name })),
      );
    } finally {
      db.close();
    }
  });

  it("keeps an in-memory store to itself", async () => {
    const a = await openStore("sqlite::memory:");
    const b = await openStore("sqlite::memory:");
    try {
      await a.putReports("sha256:x", [], new Date());
      assert.equal(await a.reportRevision("sha256:x"), 1);
      assert.equal(await b.reportRevision("sha256:x"), 0);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it("refuses a database whose schema is newer than this binary knows", async () => {
    const file = join(dir, "future.db");
    await (await openStore(file)).close();
    const db = new Database(file);
    db.prepare(
      "INSERT INTO schema_migrations (version, name, applied_at) VALUES (42, 'future', 'now')",
    ).run();
    db.close();
    await assert.rejects(openStore(file), (error: Error) => {
      assert.ok(isStoreError(error));
      assert.match(
        error.message,
        new RegExp(`schema is at version 42, newer than the ${MIGRATIONS.length} this cipolice knows`),
      );
      assert.ok(isCipError(error) && /newer cipolice/.test(error.hint ?? ""));
      return true;
    });
  });

  it("refuses a file that is not a database with CIP_STORE and a hint", async () => {
    const file = join(dir, "not-a.db");
    await writeFile(
      file,
      "this is not SQLite, just text that is long enough to be read as a header".repeat(20),
    );
    await assert.rejects(openStore(file), (error: Error) => {
      assert.ok(isStoreError(error));
      assert.ok(error.message.endsWith(`(${file})`), error.message);
      assert.ok(isCipError(error) && /not a SQLite database/.test(error.hint ?? ""), String(error));
      return true;
    });
  });

  it("refuses a path it cannot create with CIP_STORE", async () => {
    const blocker = join(dir, "blocker");
    await writeFile(blocker, "a file where a directory should be");
    await assert.rejects(openStore(`sqlite:${join(blocker, "store.db")}`), isStoreError);
  });
});
