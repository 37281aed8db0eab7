import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { contentRange, receivedBytes, uploadChunks } from "./push-range.js";

describe("chunked upload ranges", () => {
  test("a blob is cut into chunks of the given size, the last one shorter", () => {
    assert.deepEqual(uploadChunks(10, 4), [
      { start: 0, end: 4 },
      { start: 4, end: 8 },
      { start: 8, end: 10 },
    ]);
    assert.deepEqual(uploadChunks(8, 4).length, 2);
    assert.deepEqual(uploadChunks(0, 4), []);
    assert.throws(() => uploadChunks(10, 0), RangeError);
    assert.throws(() => uploadChunks(10, 1.5), RangeError);
  });

  test("Content-Range names the first and last byte, both inclusive, as the distribution spec writes it", () => {
    assert.equal(contentRange({ start: 0, end: 4 }), "0-3");
    assert.equal(contentRange({ start: 8388608, end: 16777216 }), "8388608-16777215");
  });

  test("the registry's Range answer says how many bytes it holds", () => {
    assert.equal(receivedBytes("0-1023"), 1024);
    assert.equal(receivedBytes("bytes=0-9"), 10);
    assert.equal(receivedBytes(null), undefined);
    assert.equal(receivedBytes("5-9"), undefined);
    assert.equal(receivedBytes("garbage"), undefined);
  });
});
