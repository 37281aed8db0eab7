import assert from "node:assert/strict";
import { test } from "node:test";
import { NdjsonLines } from "./ndjson-lines.js";

const tooLong = (max: number) => new Error(`line over ${max}`);

test("splits lines across chunks, drops blank lines and carriage returns", () => {
  const lines = new NdjsonLines(1024, tooLong);
  assert.deepEqual(lines.push(Buffer.from('{"a":1}\n{"b"')), ['{"a":1}']);
  assert.deepEqual(lines.push(Buffer.from(":2}\r\n\n")), ['{"b":2}']);
  assert.deepEqual(lines.push(Buffer.from("\n")), []);
  // A multi-byte character split between chunks is joined before decoding
  const text = Buffer.from('{"name":"é"}\n');
  assert.deepEqual(lines.push(text.subarray(0, 10)), []);
  assert.deepEqual(lines.push(text.subarray(10)), ['{"name":"é"}']);
});

test("refuses a line longer than the limit before its end arrives", () => {
  const lines = new NdjsonLines(8, tooLong);
  assert.deepEqual(lines.push(Buffer.from("12345678\n")), ["12345678"]);
  assert.deepEqual(lines.push(Buffer.from("1234")), []);
  assert.throws(() => lines.push(Buffer.from("56789")), /line over 8/);
});
