import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { type TestContext, test } from "node:test";
import {
  action,
  RECORDING_SCRIPT,
  recordingBuiltins,
  tempDir,
  writeExecutable,
} from "../../../test/fixtures/rules-actions/action-fixtures.js";
import { runActions } from "../run-actions.js";
import { verifySignature } from "./webhook-signature.js";

const { builtins } = recordingBuiltins();

interface Received {
  headers: IncomingMessage["headers"];
  body: string;
  at: number;
}

/** A real HTTP receiver on loopback; `answer` decides what the n-th request (0-based) gets. */
async function receiver(t: TestContext, answer: (n: number, res: ServerResponse) => void) {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString("utf8"), at: Date.now() });
      answer(received.length - 1, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhook`, received };
}

const message = {
  image: "nginx:latest",
  level: 3,
  decision: { status: "fail", final_action: "stop" },
};

test("a web hook gets the message and decision as JSON, signed with the secret", async (t) => {
  const hook = await receiver(t, (_n, res) => res.writeHead(202).end("queued"));
  const [outcome] = await runActions([action("webhook", hook.url)], message, {
    baseDir: ".",
    webhookSecret: "s3cret",
    builtins,
  });
  assert.equal(outcome?.status, "ok", outcome?.error);
  assert.equal(outcome?.output, "queued");
  assert.equal(hook.received.length, 1);
  const [request] = hook.received;
  assert.deepEqual(JSON.parse(request?.body ?? ""), { message, decision: message.decision });
  assert.equal(request?.headers["content-type"], "application/json");
  assert.ok(
    verifySignature(request?.body ?? "", "s3cret", request?.headers["x-cipolice-signature"] as string),
  );
  assert.equal(
    verifySignature(request?.body ?? "", "other", request?.headers["x-cipolice-signature"] as string),
    false,
  );
  assert.match(String(request?.headers["x-cipolice-delivery"]), /^[0-9a-f-]{36}$/);
});

test("without a secret no signature is sent; a message without decision sends none", async (t) => {
  const hook = await receiver(t, (_n, res) => res.writeHead(200).end());
  const [outcome] = await runActions(
    [action("webhook", hook.url)],
    { image: "x" },
    { baseDir: ".", builtins },
  );
  assert.equal(outcome?.status, "ok");
  assert.equal(hook.received[0]?.headers["x-cipolice-signature"], undefined);
  assert.deepEqual(JSON.parse(hook.received[0]?.body ?? ""), { message: { image: "x" } });
});

test("a 500 then a 200 is ok after one retry, with the same delivery id and the backoff between", async (t) => {
  const hook = await receiver(t, (n, res) =>
    res.writeHead(n === 0 ? 500 : 200).end(n === 0 ? "busy" : "done"),
  );
  const [outcome] = await runActions([action("webhook", hook.url)], message, {
    baseDir: ".",
    webhook: { retries: 3, backoffMs: 150 },
    builtins,
  });
  assert.equal(outcome?.status, "ok", outcome?.error);
  assert.equal(outcome?.output, "done");
  assert.equal(hook.received.length, 2);
  assert.equal(
    hook.received[0]?.headers["x-cipolice-delivery"],
    hook.received[1]?.headers["x-cipolice-delivery"],
  );
  const gap = (hook.received[1]?.at ?? 0) - (hook.received[0]?.at ?? 0);
  assert.ok(gap >= 140, `retried after ${gap} ms`);
});

test("a 429 is retried; a 404 fails at once", async (t) => {
  const busy = await receiver(t, (n, res) => res.writeHead(n < 2 ? 429 : 200).end());
  const gone = await receiver(t, (_n, res) => res.writeHead(404).end("no such hook"));
  const outcomes = await runActions([action("webhook", busy.url), action("webhook", gone.url)], message, {
    baseDir: ".",
    webhook: { retries: 3, backoffMs: 20 },
    builtins,
  });
  assert.deepEqual(
    outcomes.map((o) => o.status),
    ["ok", "failed"],
  );
  assert.equal(busy.received.length, 3);
  assert.equal(gone.received.length, 1);
  assert.equal(outcomes[1]?.error, `${gone.url} answered HTTP 404 Not Found`);
  assert.equal(outcomes[1]?.output, "no such hook");
});

test("a hanging hook times out per try, is retried with backoff, failed, and blocks nothing else", async (t) => {
  const dir = tempDir(t);
  writeExecutable(dir, "label.sh", RECORDING_SCRIPT);
  // Never answers: the request is read, then left open
  const hook = await receiver(t, () => {});
  const started = Date.now();
  const outcomes = await runActions(
    [action("webhook", hook.url), action("executable", "./label.sh")],
    message,
    {
      baseDir: dir,
      env: { RECORD_DIR: dir },
      webhook: { retries: 2, backoffMs: 100, tryTimeoutMs: 200 },
      builtins,
    },
  );
  const elapsed = Date.now() - started;
  const [webhook, label] = outcomes;
  assert.equal(webhook?.status, "failed");
  assert.equal(
    webhook?.error,
    `${hook.url} failed 3 tries: no answer within 200 ms; no answer within 200 ms; no answer within 200 ms`,
  );
  assert.equal(hook.received.length, 3);
  const gaps = [1, 2].map((i) => (hook.received[i]?.at ?? 0) - (hook.received[i - 1]?.at ?? 0));
  // Each gap is a try's 200 ms plus the backoff: 100 ms, then 200 ms
  assert.ok((gaps[0] ?? 0) >= 290 && (gaps[1] ?? 0) >= 390, `gaps ${gaps.join(", ")} ms`);
  // 3 × 200 ms tries + 100 + 200 ms backoff = 900 ms, then the executable in a few ms
  assert.ok((webhook?.durationMs ?? 0) < 1_500, `web hook took ${webhook?.durationMs} ms`);
  assert.equal(label?.status, "ok");
  assert.ok((label?.durationMs ?? 0) < 1_000, `the next action took ${label?.durationMs} ms`);
  assert.ok(elapsed < 2_500, `run took ${elapsed} ms`);
});

test("a hook that outlasts the action's whole budget is timed out", async (t) => {
  const hook = await receiver(t, () => {});
  const [outcome] = await runActions([action("webhook", hook.url)], message, {
    baseDir: ".",
    kindTimeoutMs: { webhook: 500 },
    webhook: { retries: 5, backoffMs: 100, tryTimeoutMs: 300 },
    builtins,
  });
  assert.equal(outcome?.status, "timed_out");
  assert.match(outcome?.error ?? "", /was not delivered within 500 ms after 2 failed tries/);
  assert.ok((outcome?.durationMs ?? 0) < 800, `${outcome?.durationMs} ms`);
});

test("a refused connection is retried, then failed with the network error", async (t) => {
  const hook = await receiver(t, (_n, res) => res.end());
  const closed = hook.url.replace(/:(\d+)\//, (_m, port: string) => `:${Number(port) === 1 ? 2 : 1}/`);
  const [outcome] = await runActions([action("webhook", closed)], message, {
    baseDir: ".",
    webhook: { retries: 1, backoffMs: 10 },
    builtins,
  });
  assert.equal(outcome?.status, "failed");
  assert.match(outcome?.error ?? "", /failed 2 tries: .*ECONNREFUSED.*; .*ECONNREFUSED/);
});
