import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";
import type { HttpResponse } from "./http-request.js";
import { readLimitedBody, verifyDigest } from "./read-body.js";

/** A response whose body arrives in chunks, with the headers given (none: as chunked encoding sends it). */
function chunked(
  parts: string[],
  headers: Record<string, string> = {},
): HttpResponse & { discarded: boolean } {
  const response = {
    status: 200,
    statusText: "OK",
    ok: true,
    headers: { get: (name: string) => headers[name] ?? null },
    body: (async function* () {
      for (const p of parts) yield Buffer.from(p);
    })(),
    discarded: false,
    async discard() {
      response.discarded = true;
    },
  };
  return response;
}

test("reads the body and computes its digest while streaming", async () => {
  const body = await readLimitedBody(chunked(["hel", "lo"]), 100, "a blob", "http://r/x");
  assert.equal(body.bytes.toString(), "hello");
  assert.equal(body.digest, `sha256:${createHash("sha256").update("hello").digest("hex")}`);
  const sha512 = await readLimitedBody(chunked(["hello"]), 100, "a blob", "http://r/x", "sha512");
  assert.match(sha512.digest, /^sha512:[0-9a-f]{128}$/);
});

test("a body without Content-Length is cut off once it passes the limit", async () => {
  await assert.rejects(readLimitedBody(chunked(["12345", "67890", "x"]), 10, "the manifest", "http://r/m"), {
    code: "CIP_INPUT_TOO_LARGE",
    message: /Cannot read the manifest: it sent more than 10 bytes, over the limit of 10 \(http:\/\/r\/m\)/,
  });
});

test("a declared Content-Length over the limit is refused before reading", async () => {
  const response = chunked(["x".repeat(50)], { "content-length": "50" });
  await assert.rejects(readLimitedBody(response, 10, "the manifest", "http://r/m"), /declares 50 bytes/);
  assert.equal(response.discarded, true, "the body is dropped unread");
});

test("a digest mismatch names the expected and actual digests", () => {
  assert.throws(() => verifyDigest("the config blob", "sha256:aaa", "sha256:bbb", "http://r/b"), {
    code: "CIP_REGISTRY",
    message: "Cannot trust the config blob: its digest is sha256:bbb, expected sha256:aaa (http://r/b)",
  });
  verifyDigest("same", "sha256:ABC", "sha256:abc", "http://r/b");
});
