import assert from "node:assert/strict";
import { test } from "node:test";
import { parseIni } from "./ini-parser.js";

/** The sections as plain objects of values, for comparing. */
function plain(text: string) {
  const { document, problems } = parseIni(text);
  return {
    sections: Object.fromEntries(
      document.sections.map((section) => [
        section.name,
        Object.fromEntries([...section.values].map(([key, entry]) => [key, entry.value])),
      ]),
    ),
    defaults: Object.fromEntries([...document.defaults].map(([key, entry]) => [key, entry.value])),
    problems,
    warnings: document.warnings,
  };
}

test("key = value and key: value, split at the first delimiter; keys lowercased, values trimmed and kept as written", () => {
  const read = plain(
    "[Check.Name]\nAllow_Root = off\nurl: https://x:8083/a=b\ntoken=  t ; not a comment  \nempty =\n",
  );
  assert.deepEqual(read.sections, {
    "Check.Name": { allow_root: "off", url: "https://x:8083/a=b", token: "t ; not a comment", empty: "" },
  });
  assert.deepEqual(read.problems, []);
});

test("section names are case-sensitive; # and ; start full-line comments, also indented", () => {
  const read = plain("# top\n; also\n[policy]\n  # indented comment\n[Policy]\nx = 1\n");
  assert.deepEqual(Object.keys(read.sections), ["policy", "Policy"]);
  assert.deepEqual(read.problems, []);
});

test("a deeper-indented line continues a value; empty lines inside are kept, trailing ones and comments dropped", () => {
  const read = plain(
    "[policy]\nalways_allow = sha256:aaa,\n  sha256:bbb\n\n  # not part\n  sha256:ccc\n\n[logging]\nlevel = info\n",
  );
  assert.equal(read.sections.policy?.always_allow, "sha256:aaa,\nsha256:bbb\n\nsha256:ccc");
  assert.equal(read.sections.logging?.level, "info");
});

test("a line indented like its key is a new key, not a continuation", () => {
  const read = plain("[s]\n  a = 1\n  b = 2\n");
  assert.deepEqual(read.sections.s, { a: "1", b: "2" });
});

test("[DEFAULT] is kept apart from the sections", () => {
  const read = plain("[DEFAULT]\nurl = http://x\n[s]\n");
  assert.deepEqual(read.defaults, { url: "http://x" });
  assert.deepEqual(Object.keys(read.sections), ["s"]);
});

test("a repeated section is merged into its first place with a warning; a repeated key keeps the later value", () => {
  const read = plain("[a]\nx = 1\n[b]\n[a]\nx = 2\ny = 3\n");
  assert.deepEqual(Object.keys(read.sections), ["a", "b"]);
  assert.deepEqual(read.sections.a, { x: "2", y: "3" });
  assert.equal(read.warnings.length, 2);
  assert.match(read.warnings[0] ?? "", /line 4: section \[a\] repeats the one on line 1/);
  assert.match(read.warnings[1] ?? "", /line 5: key "x" of \[a\] repeats the one on line 2/);
});

test("malformed lines are each reported with their line number and section", () => {
  const { problems } = parseIni(
    [
      "orphan = 1", // 1: before any section
      "[ok]",
      "no delimiter here", // 3
      "= value", // 4
      "[unterminated", // 5
      "key = lost", // 6: after a broken header, not in [ok]
      "[]", // 7
      "[x] trailing", // 8
      "[y] ; comment is fine",
    ].join("\n"),
  );
  assert.deepEqual(
    problems.map((p) => [p.line, p.section]),
    [
      [1, undefined],
      [3, "ok"],
      [4, "ok"],
      [5, "ok"],
      [6, undefined],
      [7, undefined],
      [8, "x"],
    ],
  );
  assert.match(problems[0]?.message ?? "", /before any \[section\]/);
  assert.match(problems[1]?.message ?? "", /neither "key = value"/);
  assert.match(problems[2]?.message ?? "", /no key/);
  assert.match(problems[3]?.message ?? "", /no closing "\]"/);
  assert.match(problems[6]?.message ?? "", /text after the section header/);
});

test("problems are bounded: a file of garbage lists twenty and says more follow", () => {
  const { problems } = parseIni(`[s]\n${"garbage\n".repeat(10_000)}`);
  assert.equal(problems.length, 21);
  assert.equal(problems[20]?.message, "more problems follow");
});

test("CRLF line ends and a byte order mark read as plain lines", () => {
  const read = plain("\ufeff[s]\r\na = 1\r\n");
  assert.deepEqual(read.sections, { s: { a: "1" } });
});
