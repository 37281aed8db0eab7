import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { send } from "../../test/support/http-client.js";
import { CipError } from "../model/index.js";
import { createHttpServer, type HttpServer, isLoopback } from "./http-server.js";

const TOKEN = "s3cret-token-value";

describe("http server", () => {
  let server: HttpServer;
  let base: string;
  const never = new Promise<void>(() => {});
  let lateSent: boolean | undefined;

  before(async () => {
    server = createHttpServer({ port: 0, tokens: [{ name: "ci", token: TOKEN }] });
    const r = server.router;
    r.get("/healthz", async (_req, res) => void res.send(200, "ok"), { auth: false });
    r.get("/whoami", async (req, res) => void res.json(200, { name: req.tokenName }));
    r.group("/v1", (v1) => {
      v1.get("/images/{digest}/reports", async (req, res) => {
        res.json(200, { digest: req.params.digest, limit: req.query.get("limit") });
      });
      v1.post("/images/{digest}/reports", async (req, res) => {
        const body = await req.json();
        res.json(201, { got: body });
      });
    });
    r.post("/small", async (req, res) => void res.json(200, { bytes: (await req.body()).length }), {
      auth: false,
      bodyLimitBytes: 1024,
    });
    r.post("/echo", async (req, res) => void res.json(200, await req.json()), { auth: false });
    r.get("/hang", () => never, { auth: false, deadlineMs: 150 });
    r.get(
      "/hang-fallback",
      async (_req, res) => {
        await never;
        res.json(200, { late: true });
      },
      {
        auth: false,
        deadlineMs: 150,
        onDeadline: (_req, res) => void res.json(200, { allowed: false, reason: "fail-closed" }),
      },
    );
    r.get(
      "/late",
      async (_req, res) => {
        await new Promise((resolve) => setTimeout(resolve, 300));
        lateSent = res.json(200, { late: true });
      },
      { auth: false, deadlineMs: 100 },
    );
    r.get(
      "/fail/{code}",
      async (req) => {
        if (req.params.code === "plain") throw new Error("secret internal detail");
        throw new CipError(req.params.code as "CIP_STORE", "Cannot do it: because (here)", {
          hint: "do that",
        });
      },
      { auth: false },
    );
    r.post("/slow-body", async (req, res) => void res.json(200, await req.json()), {
      auth: false,
      deadlineMs: 150,
    });
    r.get(
      "/stream",
      async (_req, res) => {
        const out = res.stream(200, { "content-type": "text/plain" });
        out?.write("a");
        await new Promise((resolve) => setTimeout(resolve, 200));
        out?.end("b");
      },
      { auth: false, deadlineMs: 100 },
    );
    r.get("/forgets", async () => {}, { auth: false });
    ({ url: base } = await server.listen());
  });

  after(() => server.close(100));

  test("routes exact paths and {param} segments, with the query", async () => {
    const health = await send(`${base}/healthz`);
    assert.equal(health.text, "ok");
    assert.equal(health.headers.connection, "keep-alive", "answers without a body keep the connection");
    const a = await send(`${base}/v1/images/sha256%3Aabc/reports?limit=5`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    assert.equal(a.status, 200);
    assert.deepEqual(a.json, { digest: "sha256:abc", limit: "5" });
  });

  test("answers HEAD from the GET route, without a body", async () => {
    const a = await send(`${base}/healthz`, { method: "HEAD" });
    assert.equal(a.status, 200);
    assert.equal(a.text, "");
  });

  test("answers at the deadline even while the body is still arriving", async () => {
    const { request } = await import("node:http");
    const started = performance.now();
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${base}/slow-body`, { method: "POST", agent: false }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
        req.destroy();
      });
      req.on("error", reject);
      req.write("{");
    });
    assert.equal(status, 503);
    assert.ok(performance.now() - started < 150 + 200);
  });

  test("answers 404 and 405 (with Allow) as JSON errors", async () => {
    const missing = await send(`${base}/nope`);
    assert.equal(missing.status, 404);
    assert.match((missing.json as { error: { message: string } }).error.message, /Cannot find \/nope/);
    const wrong = await send(`${base}/healthz`, { method: "DELETE" });
    assert.equal(wrong.status, 405);
    assert.equal(wrong.headers.allow, "GET, HEAD");
    assert.equal((wrong.json as { error: { code: string } }).error.code, "CIP_USAGE");
  });

  test("requires a bearer token: missing, wrong and right", async () => {
    const none = await send(`${base}/whoami`);
    assert.equal(none.status, 401);
    assert.match(String(none.headers["www-authenticate"]), /^Bearer/);
    assert.equal((none.json as { error: { code: string } }).error.code, "CIP_UNAUTHORIZED");
    const wrong = await send(`${base}/whoami`, { headers: { authorization: "Bearer nope" } });
    assert.equal(wrong.status, 401);
    assert.match((wrong.json as { error: { message: string } }).error.message, /not valid/);
    const right = await send(`${base}/whoami`, { headers: { authorization: `bearer ${TOKEN}` } });
    assert.equal(right.status, 200);
    assert.deepEqual(right.json, { name: "ci" });
  });

  test("refuses a body over the limit by Content-Length, before reading it", async () => {
    const ok = await send(`${base}/small`, { method: "POST", body: "x".repeat(1024) });
    assert.deepEqual(ok.json, { bytes: 1024 });
    const big = await send(`${base}/small`, { method: "POST", body: "x".repeat(1025) });
    assert.equal(big.status, 413);
    assert.equal((big.json as { error: { code: string } }).error.code, "CIP_INPUT_TOO_LARGE");
    assert.match((big.json as { error: { message: string } }).error.message, /Content-Length is 1025 bytes/);
    assert.equal(big.headers.connection, "close");
  });

  test("refuses a chunked body as soon as the bytes streamed pass the limit", async () => {
    const ok = await send(`${base}/small`, { method: "POST", chunks: ["x".repeat(500), "y".repeat(500)] });
    assert.deepEqual(ok.json, { bytes: 1000 });
    const big = await send(`${base}/small`, { method: "POST", chunks: ["x".repeat(800), "y".repeat(800)] });
    assert.equal(big.status, 413);
    assert.match((big.json as { error: { message: string } }).error.message, /over 1.0 kB|over 1024/);
    assert.equal(big.headers.connection, "close");
  });

  test("says where a JSON body is broken", async () => {
    const bad = await send(`${base}/echo`, { method: "POST", body: '{"a": tru}' });
    assert.equal(bad.status, 400);
    const error = (bad.json as { error: { code: string; message: string } }).error;
    assert.equal(error.code, "CIP_REQUEST_INVALID");
    assert.equal(error.message, "Cannot read the request body: not valid JSON (line 1, column 7)");
    const good = await send(`${base}/echo`, { method: "POST", body: '{"a": [1, 2]}' });
    assert.deepEqual(good.json, { a: [1, 2] });
    const empty = await send(`${base}/echo`, { method: "POST", body: "" });
    assert.equal(empty.status, 400);
  });

  test("answers 503 at the deadline when the handler hangs forever", async () => {
    const a = await send(`${base}/hang`);
    assert.equal(a.status, 503);
    assert.equal((a.json as { error: { code: string } }).error.code, "CIP_DEADLINE");
    assert.ok(a.ms >= 140 && a.ms < 150 + 200, `answered after ${a.ms} ms`);
  });

  test("lets the route's fallback answer at the deadline", async () => {
    const a = await send(`${base}/hang-fallback`);
    assert.equal(a.status, 200);
    assert.deepEqual(a.json, { allowed: false, reason: "fail-closed" });
    assert.ok(a.ms < 150 + 200, `answered after ${a.ms} ms`);
  });

  test("drops a handler's answer that comes after the deadline", async () => {
    const a = await send(`${base}/late`);
    assert.equal(a.status, 503);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(lateSent, false, "the late answer was dropped");
  });

  test("maps error codes to statuses in one place, hiding internal errors", async () => {
    const cases: [string, number][] = [
      ["CIP_REQUEST_INVALID", 400],
      ["CIP_REPORT_UNSUPPORTED", 400],
      ["CIP_IMAGE_REF_INVALID", 400],
      ["CIP_INPUT_TOO_LARGE", 413],
      ["CIP_STORE", 503],
      ["CIP_DEADLINE", 504],
      ["CIP_REGISTRY", 502],
      ["CIP_BUNDLE_INVALID", 500],
    ];
    for (const [code, status] of cases) {
      const a = await send(`${base}/fail/${code}`);
      assert.equal(a.status, status, code);
      const error = (a.json as { error: { code: string; message: string; hint?: string } }).error;
      if (status === 500) assert.equal(error.code, "CIP_INTERNAL");
      else assert.deepEqual(error, { code, message: "Cannot do it: because (here)", hint: "do that" });
    }
    const plain = await send(`${base}/fail/plain`);
    assert.equal(plain.status, 500);
    assert.doesNotMatch(plain.text, /secret internal detail/);
  });

  test("lets a handler stream an answer past the deadline once it started", async () => {
    const a = await send(`${base}/stream`);
    assert.equal(a.status, 200);
    assert.equal(a.text, "ab");
  });

  test("answers 500 when a handler returns without answering, instead of hanging", async () => {
    const a = await send(`${base}/forgets`);
    assert.equal(a.status, 500);
  });

  test("counts requests by route, method and status", async () => {
    const text = (await server.metrics.exposition()).text;
    assert.match(text, /cipolice_http_requests_total\{route="\/healthz",method="GET",status="200"\} \d+/);
    assert.match(text, /cipolice_http_requests_total\{route="\/hang",method="GET",status="503"\} 1/);
    assert.match(text, /cipolice_http_request_duration_seconds_bucket\{le="0.0005",route="\/healthz"/);
  });
});

describe("listen address", () => {
  test("refuses plain HTTP on 0.0.0.0 unless allowInsecureHttp", () => {
    assert.throws(
      () => createHttpServer({ host: "0.0.0.0", port: 0 }),
      (error: CipError) => error.code === "CIP_USAGE" && /only loopback/.test(error.message),
    );
    assert.doesNotThrow(() => createHttpServer({ host: "0.0.0.0", port: 0, allowInsecureHttp: true }));
  });

  test("knows loopback addresses", () => {
    for (const h of ["127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost"]) assert.ok(isLoopback(h), h);
    for (const h of ["0.0.0.0", "::", "10.0.0.1", "example.com"]) assert.ok(!isLoopback(h), h);
  });
});

describe("graceful shutdown", () => {
  test("finishes a request in flight, then closes", async () => {
    const server = createHttpServer({ port: 0 });
    let started: () => void = () => {};
    const inHandler = new Promise<void>((resolve) => {
      started = resolve;
    });
    server.router.get(
      "/slow",
      async (_req, res) => {
        started();
        await new Promise((resolve) => setTimeout(resolve, 200));
        res.json(200, { done: true });
      },
      { auth: false },
    );
    const { url } = await server.listen();
    const answer = send(`${url}/slow`);
    await inHandler;
    const closed = server.close(2000);
    const a = await answer;
    assert.equal(a.status, 200);
    assert.deepEqual(a.json, { done: true });
    await closed;
    await assert.rejects(send(`${url}/slow`, { agent: false }), /ECONNREFUSED/);
  });

  test("destroys connections still busy after the grace period", async () => {
    const server = createHttpServer({ port: 0 });
    server.router.get("/forever", () => new Promise(() => {}), { auth: false, deadlineMs: 60_000 });
    const { url } = await server.listen();
    const answer = send(`${url}/forever`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = performance.now();
    await server.close(100);
    assert.ok(performance.now() - started < 1000);
    await assert.rejects(answer, /socket hang up|ECONNRESET/);
  });
});

describe("slow clients", () => {
  test("closes connections that send nothing or send headers too slowly", async () => {
    const { connect } = await import("node:net");
    const server = createHttpServer({ port: 0, headersTimeoutMs: 300, requestTimeoutMs: 600 });
    server.router.post(
      "/upload",
      async (req, res) => void res.json(200, { bytes: (await req.body()).length }),
      {
        auth: false,
        deadlineMs: 60_000,
      },
    );
    const { port } = await server.listen();
    const closedAfter = (send: (s: import("node:net").Socket) => void) =>
      new Promise<number>((resolve) => {
        const started = performance.now();
        const socket = connect(port, "127.0.0.1", () => send(socket));
        socket.on("data", () => {});
        socket.on("error", () => {});
        socket.on("close", () => resolve(performance.now() - started));
      });
    try {
      const silent = closedAfter(() => {});
      const dribble = closedAfter((s) => {
        s.write("POST /upload HTTP/1.1\r\nHost: x\r\n");
        const t = setInterval(() => (s.writable ? s.write("X-A: b\r\n") : clearInterval(t)), 100);
        s.on("close", () => clearInterval(t));
      });
      const slowBody = closedAfter((s) => {
        s.write("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n");
        const t = setInterval(() => (s.writable ? s.write("x") : clearInterval(t)), 100);
        s.on("close", () => clearInterval(t));
      });
      const [a, b, c] = await Promise.all([silent, dribble, slowBody]);
      assert.ok(a >= 250 && a < 3000, `silent connection closed after ${a} ms`);
      assert.ok(b >= 250 && b < 3000, `dribbling headers closed after ${b} ms`);
      assert.ok(c >= 550 && c < 3000, `dribbling body closed after ${c} ms`);
    } finally {
      await server.close(100);
    }
  });
});
