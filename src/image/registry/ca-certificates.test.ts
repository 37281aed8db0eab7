import assert from "node:assert/strict";
import { test } from "node:test";
import { readCaFile } from "./ca-certificates.js";

test("a CA file that is /dev/zero is refused after 16 MiB, not read forever", () => {
  const start = Date.now();
  assert.throws(
    () => readCaFile("/dev/zero"),
    (e: Error & { code?: string; hint?: string }) => {
      assert.equal(e.code, "CIP_INPUT_TOO_LARGE");
      assert.match(e.message, /^Cannot read the CA file \/dev\/zero: it is over the 16 MiB CA file limit/);
      return true;
    },
  );
  assert.ok(Date.now() - start < 2000, `${Date.now() - start} ms`);
});

test("a missing CA file is named, with the flag that gave it", () => {
  assert.throws(
    () => readCaFile("/nonexistent/ca.pem"),
    (e: Error & { code?: string; hint?: string }) => {
      assert.equal(e.code, "CIP_FILE_READ");
      assert.equal(e.message, "Cannot read the CA file /nonexistent/ca.pem: no such file");
      assert.match(e.hint ?? "", /--ca-file/);
      return true;
    },
  );
});
