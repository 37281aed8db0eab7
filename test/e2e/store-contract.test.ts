import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { MIGRATIONS } from "../../src/store/migrations/index.js";
import { openStore } from "../../src/store/open-store.js";
import {
  describeStoreContract,
  freshDigest,
  isStoreError,
  waitForDigest,
} from "../../src/store/store-contract.js";
import { postgresToolsMissing, startPostgres, type TestPostgres } from "./support/postgres-harness.js";
import { freePort } from "./support/registry-harness.js";

const pgMissing = postgresToolsMissing();
let sqliteDir: string | undefined;
let postgres: TestPostgres | undefined;

before(async () => {
  sqliteDir = await mkdtemp(join(tmpdir(), "cipolice-store-"));
  if (!pgMissing) postgres = await startPostgres();
});

after(async () => {
  await postgres?.stop();
  if (sqliteDir !== undefined) await rm(sqliteDir, { recursive: true, force: true });
});

function server(): TestPostgres {
  assert.ok(postgres, "PostgreSQL did not start");
  return postgres;
}

// A directory level that does not exist yet: the adapter creates it
describeStoreContract("sqlite", () => openStore(`sqlite:${join(sqliteDir ?? "", "nested", "store.db")}`));
describeStoreContract("postgres", () => openStore(server().url), { skip: pgMissing });

describe("postgres store faults", { skip: pgMissing }, () => {
  it("records applied migrations once, however often the store opens", async () => {
    for (let i = 0; i < 2; i++) await (await openStore(server().url)).close();
    assert.equal(
      (await server().psql("SELECT version, name FROM schema_migrations ORDER BY version")).trim(),
      MIGRATIONS.map((m) => `${m.version}|${m.name}`).join("\n"),
    );
  });

  it("migrates a fresh database once when replicas open it at the same time", async () => {
    const pg = server();
    await pg.psql("CREATE DATABASE replicas");
    const url = pg.url.replace(/\/cipolice$/, "/replicas");
    const stores = await Promise.all(Array.from({ length: 4 }, () => openStore(url)));
    try {
      const revisions = await Promise.all(stores.map((s) => s.putReports("sha256:shared", [], new Date())));
      assert.deepEqual(revisions.map((r) => r.revision).sort(), [1, 2, 3, 4]);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
    const rows = await pg.psql("SELECT count(*) FROM schema_migrations", "replicas");
    assert.equal(rows.trim(), String(MIGRATIONS.length));
  });

  it("fails a call with CIP_STORE when the server stops answering mid-connection", async () => {
    const pg = server();
    const store = await openStore(pg.url, { statementTimeoutMs: 1_000 });
    await store.ping();
    // Freeze every backend of this store: the connections stay open, but nothing answers
    const pids = (await pg.psql(`SELECT pid FROM pg_stat_activity WHERE application_name = 'cipolice'`))
      .split("\n")
      .filter((line) => line.trim() !== "")
      .map(Number);
    assert.ok(pids.length >= 2, "no store connections found");
    for (const pid of pids) process.kill(pid, "SIGSTOP");
    try {
      const started = Date.now();
      await assert.rejects(store.ping(), (error: Error) => {
        assert.ok(isStoreError(error), String(error));
        assert.match(error.message, /Query read timeout/);
        return true;
      });
      const elapsed = Date.now() - started;
      assert.ok(elapsed < 3_000, `the call to a frozen server took ${elapsed} ms`);
      // The frozen connection was dropped: the next call gets a fresh one
      await store.ping();
    } finally {
      for (const pid of pids) process.kill(pid, "SIGCONT");
      await store.close();
    }
  });

  it("refuses a database whose schema is newer than this binary knows", async () => {
    const pg = server();
    await pg.psql("INSERT INTO schema_migrations (version, name) VALUES (9999, 'from-the-future')");
    try {
      await assert.rejects(openStore(pg.url), (error: Error) => {
        assert.ok(isStoreError(error));
        assert.match(error.message, /schema is at version 9999, newer than/);
        return true;
      });
    } finally {
      await pg.psql("DELETE FROM schema_migrations WHERE version = 9999");
    }
  });

  it("fails a call held up by a lock with CIP_STORE after the statement timeout", async () => {
    const pg = server();
    const store = await openStore(pg.url, { statementTimeoutMs: 1_000 });
    const holder = pg
      .psql("BEGIN; LOCK TABLE reports IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(30); COMMIT;")
      .catch(() => "terminated");
    try {
      await waitUntil(async () => (await pg.psql(LOCK_HELD)).trim() === "1", "the lock was not taken");
      const started = Date.now();
      await assert.rejects(store.listReports(freshDigest()), (error: Error) => {
        assert.ok(isStoreError(error));
        assert.match(error.message, /statement timeout/);
        return true;
      });
      const elapsed = Date.now() - started;
      assert.ok(elapsed >= 900 && elapsed < 3_000, `the call failed after ${elapsed} ms`);
    } finally {
      await pg.psql(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(30)%' AND pid <> pg_backend_pid()",
      );
      await holder;
      await store.close();
    }
    // The pool dropped the cancelled connection and works on
    const again = await openStore(pg.url);
    await again.ping();
    await again.close();
  });

  it("fails fast with CIP_STORE while the database is down, and recovers without reopening", async () => {
    const pg = server();
    const warnings: string[] = [];
    const store = await openStore(pg.url, { onWarning: (message) => warnings.push(message) });
    const events: (string | undefined)[] = [];
    const unsubscribe = store.onReportsChanged((digest) => events.push(digest));
    try {
      const before = freshDigest();
      await store.putReports(before, [{ name: "a", format: "trivy", text: "{}" }], new Date());
      await pg.kill();

      for (const call of [() => store.ping(), () => store.listReports(freshDigest())] as const) {
        const started = Date.now();
        await assert.rejects(call(), (error: Error) => {
          assert.ok(isStoreError(error), String(error));
          assert.match(error.message, /\(postgres:\/\/postgres@127\.0\.0\.1:\d+\/cipolice\)$/);
          return true;
        });
        const elapsed = Date.now() - started;
        assert.ok(elapsed < 5_000, `a call to the stopped database took ${elapsed} ms`);
      }

      await pg.restart();
      assert.deepEqual(
        (await store.listReports(before)).map((r) => r.text),
        ["{}"],
        "a committed put did not survive the crash",
      );
      const digest = freshDigest();
      assert.deepEqual(await store.putReports(digest, [], new Date()), { revision: 1 });
      assert.equal(await store.reportRevision(digest), 1);

      // The LISTEN side lost its connection: it says so with undefined once it listens again
      await waitUntil(
        async () => events.includes(undefined),
        "the listener was not told changes may be missed",
        15_000,
      );
      assert.ok(
        warnings.some((w) => /Lost the connection that listens/.test(w)),
        warnings.join("\n"),
      );
      const other = await openStore(pg.url);
      try {
        const later = freshDigest();
        const heard = waitForDigest(store, later);
        await other.putReports(later, [], new Date());
        await heard.heard;
        heard.unsubscribe();
      } finally {
        await other.close();
      }
    } finally {
      unsubscribe();
      await store.close();
    }
  });

  it("fails to open with CIP_STORE, without the password, when nothing listens", async () => {
    const port = await freePort();
    const started = Date.now();
    await assert.rejects(openStore(`postgres://cip:s3cret@127.0.0.1:${port}/db`), (error: Error) => {
      assert.ok(isStoreError(error));
      assert.doesNotMatch(error.message, /s3cret/);
      assert.match(error.message, /^Cannot open the store: .*\(postgres:\/\/cip@127\.0\.0\.1:\d+\/db\)$/);
      return true;
    });
    assert.ok(Date.now() - started < 2_000);
  });
});

describe("postgres store against a server that never answers", () => {
  let silent: Server | undefined;
  const sockets = new Set<Socket>();

  before(async () => {
    // Accepts connections and says nothing, as a hung or half-partitioned server would
    silent = createServer((socket) => {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => silent?.listen(0, "127.0.0.1", resolve));
  });

  after(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => silent?.close(() => resolve()));
  });

  it("fails to open with CIP_STORE within the connect timeout", async () => {
    const address = silent?.address();
    assert.ok(address && typeof address === "object");
    const started = Date.now();
    await assert.rejects(
      openStore(`postgres://cip@127.0.0.1:${address.port}/db`, { connectTimeoutMs: 1_000 }),
      isStoreError,
    );
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 900 && elapsed < 3_000, `opening took ${elapsed} ms`);
  });
});

const LOCK_HELD =
  "SELECT count(*) FROM pg_locks WHERE relation = 'reports'::regclass AND mode = 'AccessExclusiveLock' AND granted";

async function waitUntil(check: () => Promise<boolean>, message: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(message);
}
