import assert from "node:assert/strict";
import { test } from "node:test";
import { send } from "../../test/support/http-client.js";
import { createHttpServer } from "./http-server.js";
import { createMetrics, metricsHandler } from "./metrics.js";

test("GET /metrics exposes the HTTP, decision, cache and store counters and process metrics", async () => {
  const metrics = createMetrics();
  const server = createHttpServer({ port: 0, metrics });
  server.router.get("/metrics", metricsHandler(metrics), { auth: false });
  server.router.post("/k8s/admit", async (_req, res) => void res.json(200, { allowed: true }), {
    auth: false,
    name: "admission",
  });
  const { url } = await server.listen();
  try {
    await send(`${url}/k8s/admit`, { method: "POST", body: "{}" });
    await send(`${url}/k8s/admit`, { method: "POST", body: "{}" });
    await send(`${url}/k8s/admit`);
    await send(`${url}/nowhere`);
    metrics.decision("admission", "pass");
    metrics.decision("admission", "pass");
    metrics.decision("api", "fail");
    metrics.cache("hit");
    metrics.cache("miss");
    metrics.cache("coalesced");
    metrics.storeError();

    const a = await send(`${url}/metrics`);
    assert.equal(a.status, 200);
    assert.match(String(a.headers["content-type"]), /^text\/plain; version=0\.0\.4/);
    const text = a.text;
    assert.match(text, /^cipolice_http_requests_total\{route="admission",method="POST",status="200"\} 2$/m);
    assert.match(text, /^cipolice_http_requests_total\{route="unmatched",method="any",status="405"\} 1$/m);
    assert.match(text, /^cipolice_http_requests_total\{route="unmatched",method="any",status="404"\} 1$/m);
    assert.match(
      text,
      /^cipolice_http_request_duration_seconds_bucket\{le="0.0005",route="admission",method="POST"\} \d+$/m,
    );
    assert.match(
      text,
      /^cipolice_http_request_duration_seconds_count\{route="admission",method="POST"\} 2$/m,
    );
    assert.match(text, /^cipolice_decisions_total\{origin="admission",outcome="pass"\} 2$/m);
    assert.match(text, /^cipolice_decisions_total\{origin="api",outcome="fail"\} 1$/m);
    assert.match(text, /^cipolice_decision_cache_total\{result="hit"\} 1$/m);
    assert.match(text, /^cipolice_decision_cache_total\{result="coalesced"\} 1$/m);
    assert.match(text, /^cipolice_store_errors_total 1$/m);
    assert.match(text, /^process_cpu_user_seconds_total /m);
  } finally {
    await server.close(100);
  }
});

test("each server has its own registry", () => {
  const a = createMetrics({ defaultMetrics: false });
  const b = createMetrics({ defaultMetrics: false });
  a.storeError();
  assert.notEqual(a.registry, b.registry);
});
