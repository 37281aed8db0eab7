import assert from "node:assert/strict";
import { test } from "node:test";
import { compileEvalRegex } from "./eval-regex.js";
import { pythonMatch } from "./python-regex.js";

test("compiles Python-style patterns", () => {
  assert.ok(pythonMatch(compileEvalRegex("regex", "(?i).*\\.PEM"), "/etc/ssl/key.pem"));
});

test("an invalid pattern throws an error naming the pattern and the parameter", () => {
  assert.throws(() => compileEvalRegex("regex", "*\\.pem"), {
    message: 'Cannot evaluate regular expression "*\\\\.pem": Nothing to repeat (parameter regex)',
  });
});
