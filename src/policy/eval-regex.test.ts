import assert from "node:assert/strict";
import { test } from "node:test";
import { checkEvalRegex, compileEvalRegex, compileParamRegex } from "./eval-regex.js";
import { ParamValueError } from "./gate-types.js";
import { pythonMatch } from "./python-regex.js";

test("compiles Python-style patterns", () => {
  assert.ok(pythonMatch(compileEvalRegex("regex", "(?i).*\\.PEM"), "/etc/ssl/key.pem"));
});

test("an invalid pattern throws an error naming the pattern and the parameter", () => {
  assert.throws(() => compileEvalRegex("regex", "*\\.pem"), {
    code: "CIP_REGEX_UNSUPPORTED",
    message:
      'Cannot compile regular expression "*\\\\.pem": missing argument to repetition operator: `*` (parameter regex)',
  });
});

test("checkEvalRegex refuses a backreference at validation but leaves syntax errors to evaluation", () => {
  assert.doesNotThrow(() => checkEvalRegex("regex", "*\\.pem"));
  assert.throws(
    () => checkEvalRegex("regex", "(a)\\1"),
    (error: unknown) =>
      error instanceof ParamValueError &&
      error.param === "regex" &&
      error.code === "CIP_REGEX_UNSUPPORTED" &&
      error.message ===
        'parameter "regex" has value "(a)\\\\1", which cannot be used: backreferences cannot run in linear time (\\1); regular expressions run on RE2, so rewrite it without backreferences or lookaround',
  );
});

test("compileParamRegex names the parameter and the pattern", () => {
  assert.throws(() => compileParamRegex("value", "(?=x)y"), {
    message:
      /^parameter "value" has value "\(\?=x\)y", which cannot be used: lookahead assertions cannot run/,
  });
  assert.throws(() => compileParamRegex("value", "("), {
    message:
      'parameter "value" has value "(", which is not a valid regular expression (missing closing ): `(`)',
  });
});
