import assert from "node:assert/strict";
import { test } from "node:test";
import {
  pyIntBase8,
  pyOct,
  pySplitLines,
  pySplitWhitespace,
  pyStrListRepr,
  pyStrRepr,
} from "./python-format.js";

test("oct() and int(x, 8) read and print modes as Python does", () => {
  assert.equal(pyOct(0o104755), "0o104755");
  assert.equal(pyOct(0), "0o0");
  assert.equal(pyIntBase8("00644"), 0o644);
  assert.equal(pyIntBase8("0o104111"), 0o104111);
  assert.equal(pyIntBase8(" 7_55 "), 0o755);
  assert.throws(() => pyIntBase8("0x1f"), /invalid literal for int\(\) with base 8: '0x1f'/);
  assert.throws(() => pyIntBase8("8"), /base 8/);
});

test("repr() of strings and lists of strings", () => {
  assert.equal(pyStrListRepr(["1.3.0", "1.3.5"]), "['1.3.0', '1.3.5']");
  assert.equal(pyStrListRepr([]), "[]");
  assert.equal(pyStrRepr("it's"), `"it's"`);
  assert.equal(pyStrRepr(`a'b"c\\`), `'a\\'b"c\\\\'`);
  assert.equal(pyStrRepr("a\nb\u0001"), "'a\\nb\\x01'");
});

test("splitlines() and split() without arguments", () => {
  assert.deepEqual(pySplitLines("a\r\nb\n\nc\n"), ["a", "b", "", "c"]);
  assert.deepEqual(pySplitLines(""), []);
  assert.deepEqual(pySplitWhitespace("  Listen 80\n\tSSL  on "), ["Listen", "80", "SSL", "on"]);
});
