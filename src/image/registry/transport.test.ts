import assert from "node:assert/strict";
import { test } from "node:test";
import { retryAfterMs } from "./transport.js";

test("Retry-After is read as seconds or as an HTTP date", () => {
  assert.equal(retryAfterMs("3"), 3000);
  const now = Date.parse("2026-01-01T00:00:00Z");
  assert.equal(retryAfterMs("Thu, 01 Jan 2026 00:00:05 GMT", now), 5000);
  assert.equal(retryAfterMs("Wed, 31 Dec 2025 23:59:00 GMT", now), 0);
  assert.equal(retryAfterMs(null), undefined);
  assert.equal(retryAfterMs("soon"), undefined);
});
