import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { CipError } from "../model/index.js";
import {
  mergeRuleSets,
  parseRulesFile,
  RULES_INVALID_CODE,
  RULES_MAX_LINE_LENGTH,
  RULES_MAX_LINES,
} from "./parse-rules-file.js";

const fixture = (name: string) =>
  readFileSync(new URL(`../../test/fixtures/rules/${name}`, import.meta.url), "utf8");

/** The problems of a file that does not load, as their messages. */
function problemsOf(text: string, options: Parameters<typeof parseRulesFile>[2] = {}): string[] {
  try {
    parseRulesFile(text, "t.rules", options);
  } catch (error) {
    assert.ok(error instanceof CipError);
    assert.equal(error.code, RULES_INVALID_CODE);
    assert.match(error.message, /nothing of it was loaded/);
    return error.problems.map((p) => p.message);
  }
  assert.fail("the file loaded");
}

describe("parseRulesFile: CIPolicE's example files", () => {
  it("loads clair.rules in file order, the comment inside the actions skipped", () => {
    const set = parseRulesFile(fixture("clair.rules"), "clair.rules", { allowUnknownActions: true });
    assert.deepEqual(
      set.rules.map((r) => [
        r.condition.text,
        r.at.line,
        r.actions.map((a) => [a.kind, a.target, a.at.line]),
      ]),
      [
        ["level < 3", 1, [["unknown", "notify_maintainer", 2]]],
        [
          "level >= 3 and level <= 7",
          3,
          [
            ["unknown", "blockimage", 5],
            ["python-function", "containeractions.py", 6],
            ["executable", "./label.sh", 7],
            ["webhook", "http://localhost:9999/webhook", 8],
            ["break", "break", 9],
          ],
        ],
        ["level > 7", 10, [["unknown", "shouldnotbereached", 11]]],
      ],
    );
    assert.deepEqual(set.sources, ["clair.rules"]);
    const mark = set.rules[1]?.actions[1];
    assert.equal(mark?.func, "mark");
    assert.deepEqual(mark?.args, []);
    assert.deepEqual(mark?.at, { file: "clair.rules", line: 6, column: 2 });
  });

  it("splits meta.rules's arguments on spaces, each a value, the placeholder kept", () => {
    const set = parseRulesFile(fixture("meta.rules"), "meta.rules");
    const echo = set.rules[0]?.actions[0];
    assert.equal(echo?.kind, "python-function");
    assert.equal(echo?.target, "containeractions.py");
    assert.equal(echo?.func, "echo");
    assert.deepEqual(echo?.args, [
      "Not",
      "good,",
      "you",
      "should",
      "use",
      "labels.",
      "Especially",
      "for",
      "images",
      "being",
      "{size-mb}",
      "MB",
      "in",
      "size.",
    ]);
    assert.equal(
      echo?.text,
      "containeractions.py:echo Not good, you should use labels. Especially for images being {size-mb} MB in size.",
    );
    assert.deepEqual(set.rules[1]?.actions[0]?.args, ["Great,", "somebody", "uses", "labels."]);
  });

  it("refuses the unknown actions of the examples at load time, naming file, line and column", () => {
    const clair = problemsOf(fixture("clair.rules"));
    assert.deepEqual(
      clair.map((p) => p.replace(/ unknown action ("\w+").*/, " $1")),
      ['t.rules:2:2: "notify_maintainer"', 't.rules:5:2: "blockimage"', 't.rules:11:2: "shouldnotbereached"'],
    );
    assert.match(
      problemsOf(fixture("cipolice-example.rules"))[0] ?? "",
      /^t\.rules:6:2: unknown action "something_special"/,
    );
  });
});

describe("parseRulesFile: format", () => {
  it("accepts spaces as indentation, CRLF line ends, a BOM, blank lines and indented comments", () => {
    const text =
      "\uFEFF# head\r\n\r\nlevel > 1\r\n    log level is {level}\r\n  # not an action\r\n\r\n\taccept\r\n";
    const set = parseRulesFile(text, "t.rules");
    assert.equal(set.rules.length, 1);
    assert.deepEqual(
      set.rules[0]?.actions.map((a) => [a.kind, a.target, a.args, a.at.line, a.at.column]),
      [
        ["builtin", "log", ["level", "is", "{level}"], 4, 5],
        ["builtin", "accept", [], 7, 2],
      ],
    );
  });

  it("keeps a # inside an action line as text (a URL may hold one)", () => {
    const set = parseRulesFile("a == 1\n\thttps://hooks.example/x#frag\n", "t.rules");
    assert.equal(set.rules[0]?.actions[0]?.target, "https://hooks.example/x#frag");
  });

  it("classifies actions: module functions, executables, web hooks, built-ins, existing files", () => {
    const text = [
      "a == 1",
      "\tactions.js:notify {image} now",
      "\tlib/actions.mjs:mark",
      "\tcontaineractions.py:mark",
      "\t/usr/local/bin/sign {image}",
      "\tlabel.sh",
      "\tHTTPS://hooks.example/x",
      "\treject",
      "\tsigner",
    ].join("\n");
    const set = parseRulesFile(text, "t.rules", { actionExists: (t) => t === "signer" });
    assert.deepEqual(
      set.rules[0]?.actions.map((a) => [a.kind, a.target, a.func, a.args]),
      [
        ["js-function", "actions.js", "notify", ["{image}", "now"]],
        ["js-function", "lib/actions.mjs", "mark", []],
        ["python-function", "containeractions.py", "mark", []],
        ["executable", "/usr/local/bin/sign", undefined, ["{image}"]],
        ["executable", "label.sh", undefined, []],
        ["webhook", "HTTPS://hooks.example/x", undefined, []],
        ["builtin", "reject", undefined, []],
        ["executable", "signer", undefined, []],
      ],
    );
  });

  it("reads a `cel:` condition as CEL", () => {
    const set = parseRulesFile('cel: message["size-mb"] > 100 && labels.size() == 0\n\tlog big\n', "t.rules");
    const condition = set.rules[0]?.condition;
    assert.equal(condition?.language, "cel");
    assert.equal(condition?.test({ "size-mb": 120, labels: [] }).matched, true);
    assert.equal(parseRulesFile("a == 1\n", "t.rules").rules[0]?.condition.language, "rule_engine");
  });

  it("loads a condition without actions (it matches and does nothing) and an empty file", () => {
    assert.equal(parseRulesFile("a == 1\n", "t.rules").rules[0]?.actions.length, 0);
    assert.deepEqual(parseRulesFile("", "t.rules"), { rules: [], sources: ["t.rules"] });
  });

  it("merges rule sets in order", () => {
    const a = parseRulesFile("a == 1\n\tlog a\n", "a.rules");
    const b = parseRulesFile("b == 1\n\tlog b\n", "b.rules");
    const merged = mergeRuleSets([a, b]);
    assert.deepEqual(merged.sources, ["a.rules", "b.rules"]);
    assert.deepEqual(
      merged.rules.map((r) => r.at.file),
      ["a.rules", "b.rules"],
    );
  });
});

describe("parseRulesFile: errors", () => {
  it("reports every problem of the file at once, each with file:line:column", () => {
    const text = [
      "\tlog before any condition", // 1
      "level >= 3 and", // 2
      "\tlog under a broken condition", // 3
      "cve == 1", // 4
      "\tbreak now", // 5
      "\tsomething_special", // 6
      "\tfile.py:", // 7
      "\thttp://[bad/", // 8
      "\thttp://ok.example/ extra", // 9
      "cel: level >", // 10
      'x =~ "(a)\\1"', // 11
      "  \tlog fine", // 12
    ].join("\n");
    assert.deepEqual(problemsOf(text), [
      "t.rules:1:1: an indented action comes before any condition; write the condition on an unindented line above it",
      "t.rules:2:15: expected a value, found the end of the condition",
      "t.rules:5:8: `break` takes no arguments",
      't.rules:6:2: unknown action "something_special": it is no built-in (break, accept, reject, log), no file, no module function (file.js:func, file.py:func) and no URL',
      "t.rules:7:10: no function name follows the colon (write file.py:function)",
      't.rules:8:2: "http://[bad/" is not a valid URL',
      "t.rules:9:21: a web hook takes no arguments: the message is POSTed as JSON",
      "t.rules:10:13: CEL: Unexpected token: EOF",
      "t.rules:11:6: the regular expression cannot be used: backreferences cannot run in linear time (\\1); patterns run on RE2, in time linear in the text",
    ]);
  });

  it("loads unknown actions with allowUnknownActions, as kind unknown", () => {
    const set = parseRulesFile(fixture("cipolice-example.rules"), "x.rules", { allowUnknownActions: true });
    const special = set.rules[2]?.actions[0];
    assert.equal(special?.kind, "unknown");
    assert.equal(special?.target, "something_special");
  });

  it("refuses a file with too many lines or too long a line, nothing loaded", () => {
    const many = "a == 1\n".repeat(RULES_MAX_LINES + 1);
    assert.match(problemsOf(many)[0] ?? "", /more than 10000 lines/);
    const long = `a == 1\n\tlog ${"x".repeat(RULES_MAX_LINE_LENGTH)}\n`;
    assert.match(problemsOf(long)[0] ?? "", /^t\.rules:2:8193: the line is longer than 8192 characters/);
  });

  it("lists at most 100 problems and counts the rest", () => {
    const text = "a ==\n".repeat(250);
    try {
      parseRulesFile(text, "t.rules");
      assert.fail("loaded");
    } catch (error) {
      assert.ok(error instanceof CipError);
      assert.equal(error.problems.length, 100);
      assert.match(error.message, /250 problems \(the first 100 are listed\)/);
    }
  });
});
