import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, renameSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { after, describe, test } from "node:test";
import { createDecisionLog } from "./decision-log.js";

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "cip-decision-log-"));
  dirs.push(dir);
  return dir;
}

function lines(text: string): unknown[] {
  return text
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l));
}

/** A real collector on loopback that records each POST's lines, answering with `status()`. */
async function collector(status: () => number = () => 204) {
  const batches: unknown[][] = [];
  const server: Server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const code = status();
      if (code < 300) batches.push(lines(Buffer.concat(chunks).toString("utf8")));
      res.writeHead(code).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/ingest`,
    batches,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe("decision log", () => {
  test("appends one JSON line per decision to a file, and reopens it after rotation", async () => {
    const dir = tempDir();
    const file = join(dir, "decisions.jsonl");
    const log = createDecisionLog({ file });
    for (let i = 0; i < 50; i++) log.write({ decisionId: `d${i}`, outcome: "pass" });
    await new Promise((resolve) => setTimeout(resolve, 50));
    renameSync(file, `${file}.1`);
    log.write({ decisionId: "before-reopen" });
    await log.reopen();
    log.write({ decisionId: "after-reopen" });
    await log.close();
    const rotated = lines(readFileSync(`${file}.1`, "utf8")) as { decisionId: string }[];
    assert.equal(rotated.length, 51);
    assert.equal(rotated[0]?.decisionId, "d0");
    assert.equal(rotated[50]?.decisionId, "before-reopen");
    assert.deepEqual(lines(readFileSync(file, "utf8")), [{ decisionId: "after-reopen" }]);
    assert.deepEqual(log.stats(), { written: 52, dropped: 0, queued: 0 });
  });

  test("refuses a file it cannot open, at start", () => {
    assert.throws(
      () => createDecisionLog({ file: join(tempDir(), "missing-dir", "d.jsonl") }),
      /Cannot open the decision log/,
    );
  });

  test("writes lines to standard output", async () => {
    const stream = new PassThrough();
    const chunks: Buffer[] = [];
    stream.on("data", (c: Buffer) => chunks.push(c));
    const log = createDecisionLog({ stdout: true, stream });
    log.write({ a: 1 });
    log.write({ a: 2 });
    await log.close();
    assert.deepEqual(lines(Buffer.concat(chunks).toString("utf8")), [{ a: 1 }, { a: 2 }]);
  });

  test("sends batches to an HTTP endpoint: full batches at once, the rest after flushMs", async () => {
    const sink = await collector();
    const log = createDecisionLog({ url: sink.url, batchSize: 10, flushMs: 200 });
    const started = performance.now();
    for (let i = 0; i < 25; i++) log.write({ n: i });
    const writeMs = performance.now() - started;
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual(
      sink.batches.map((b) => b.length),
      [10, 10],
      "full batches go out without waiting for flushMs",
    );
    await new Promise((resolve) => setTimeout(resolve, 250));
    assert.deepEqual(
      sink.batches.map((b) => b.length),
      [10, 10, 5],
    );
    assert.deepEqual(
      sink.batches.flat(),
      Array.from({ length: 25 }, (_, i) => ({ n: i })),
    );
    await log.close();
    await sink.close();
    assert.deepEqual(log.stats(), { written: 25, dropped: 0, queued: 0 });
    assert.ok(writeMs < 50, `25 writes took ${writeMs} ms`);
  });

  test("retries with backoff when the endpoint fails, then delivers", async () => {
    let calls = 0;
    const sink = await collector(() => (++calls <= 2 ? 503 : 200));
    const log = createDecisionLog({ url: sink.url, batchSize: 5, flushMs: 20, retryBaseMs: 20 });
    for (let i = 0; i < 5; i++) log.write({ n: i });
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.ok(calls >= 3);
    assert.deepEqual(sink.batches, [[{ n: 0 }, { n: 1 }, { n: 2 }, { n: 3 }, { n: 4 }]]);
    await log.close();
    await sink.close();
  });

  test("with the endpoint down, drops the oldest beyond the queue bound, counts them and never blocks", async () => {
    // A port that was just free: connections are refused.
    const gone = await collector();
    const url = gone.url;
    await gone.close();
    const log = createDecisionLog({
      url,
      batchSize: 10,
      flushMs: 10,
      maxQueue: 100,
      retryBaseMs: 1000,
      requestTimeoutMs: 200,
    });
    const started = performance.now();
    for (let i = 0; i < 1000; i++) log.write({ n: i });
    const writeMs = performance.now() - started;
    assert.ok(writeMs < 200, `1000 writes took ${writeMs} ms`);
    const stats = log.stats();
    assert.ok(stats.queued <= 110, `queued ${stats.queued}`);
    assert.ok(stats.dropped >= 890, `dropped ${stats.dropped}`);
    const closing = performance.now();
    await log.close(300);
    assert.ok(performance.now() - closing < 1000, "close gives up at its timeout");
    const end = log.stats();
    assert.equal(end.written, 0);
    assert.equal(end.dropped, 1000);
    assert.equal(end.queued, 0);
  });
});
