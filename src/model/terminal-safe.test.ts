import assert from "node:assert/strict";
import { test } from "node:test";
import { terminalLine, terminalSafeJson, terminalText } from "./terminal-safe.js";

test("clean text comes back as the same string", () => {
  for (const text of ["", "openssl 3.0.2-0ubuntu1.10", "naïve – café ✓ 😀", "C:\\path\\x1b"]) {
    assert.equal(terminalLine(text), text);
    assert.equal(terminalText(text), text);
  }
});

test("C0, DEL and C1 controls are shown as \\xNN; tab, CR and LF by name", () => {
  assert.equal(terminalLine("\u001b[2J\rPASS"), "\\x1b[2J\\rPASS");
  assert.equal(terminalLine("a\u0000b\u0007c\u007fd\u0085e\u009b31m"), "a\\x00b\\x07c\\x7fd\\x85e\\x9b31m");
  assert.equal(terminalLine("one\ntwo\tthree"), "one\\ntwo\\tthree");
});

test("bidi controls and Unicode line separators are shown as \\uNNNN", () => {
  assert.equal(
    terminalLine("a\u202ab\u202ec\u2066d\u2069e\u200ff\u061cg\u2028h"),
    "a\\u202ab\\u202ec\\u2066d\\u2069e\\u200ff\\u061cg\\u2028h",
  );
});

test("terminalText keeps line feeds and tabs but not carriage returns or escapes", () => {
  assert.equal(terminalText("usage:\n\tcheck\r\u001b[2J"), "usage:\n\tcheck\\r\\x1b[2J");
});

test("every code point below U+00A0 but printable ASCII is escaped, none is left raw", () => {
  for (let c = 0; c < 0xa0; c++) {
    const ch = String.fromCharCode(c);
    const out = terminalLine(ch);
    if (c >= 0x20 && c < 0x7f) assert.equal(out, ch);
    else assert.ok(/^\\[xtnr]/.test(out) && out.length >= 2, `U+${c.toString(16)} -> ${out}`);
  }
});

test("JSON output: C1 and bidi controls become \\u escapes, and the JSON value is unchanged", () => {
  const value = { name: "pkg\u009b2J\u202eSSAP", plain: "naïve ✓", control: "\u001b[0m" };
  const raw = JSON.stringify(value);
  const safe = terminalSafeJson(raw);
  const unsafe = [...safe].filter(
    (c) => c.charCodeAt(0) < 0x20 || (c >= "\u007f" && c <= "\u009f") || c === "\u202e",
  );
  assert.deepEqual(unsafe, [], safe);
  assert.match(safe, /pkg\\u009b2J\\u202eSSAP/);
  assert.deepEqual(JSON.parse(safe), value);
  assert.equal(terminalSafeJson(JSON.stringify({ clean: "naïve" })), JSON.stringify({ clean: "naïve" }));
});
