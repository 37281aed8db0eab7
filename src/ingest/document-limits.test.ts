import assert from "node:assert/strict";
import { test } from "node:test";
import { isCipError } from "../model/index.js";
import { findLimitViolation, jsonDepthOffset, MAX_NESTING_DEPTH, MAX_YAML_CHARS } from "./document-limits.js";
import { parseDocumentText } from "./parse-document.js";

function codeOf(text: string): string | undefined {
  try {
    parseDocumentText(text, "doc");
    return undefined;
  } catch (error) {
    assert.ok(isCipError(error), String(error));
    return error.code;
  }
}

const json = (n: number) => `${"[".repeat(n)}${"]".repeat(n)}`;
const flow = (n: number) => `a: ${"[".repeat(n - 1)}${"]".repeat(n - 1)}\n`;
const block = (n: number) => `${Array.from({ length: n }, (_, i) => `${" ".repeat(i)}k:`).join("\n")} 1\n`;
const sequence = (n: number) => `${"- ".repeat(n)}1\n`;

test("nesting exactly at the limit parses; one level more is CIP_NESTING_LIMIT (JSON and YAML)", () => {
  for (const [name, make] of [
    ["json", json],
    ["flow", flow],
    ["block", block],
    ["sequence", sequence],
  ] as const) {
    assert.equal(codeOf(make(MAX_NESTING_DEPTH)), undefined, `${name} at the limit`);
    assert.equal(codeOf(make(MAX_NESTING_DEPTH + 1)), "CIP_NESTING_LIMIT", `${name} over the limit`);
  }
});

test("aliases that nest an anchored node deeper than the limit are caught after expansion", () => {
  const half = 300;
  const text = `a: &a ${"[".repeat(half)}${"]".repeat(half)}\nb: ${"[".repeat(half)}*a${"]".repeat(half)}\n`;
  assert.equal(codeOf(text), "CIP_NESTING_LIMIT");
});

test("brackets inside JSON strings do not count, escaped quotes do not end a string", () => {
  const text = JSON.stringify({ a: "[".repeat(2000), b: '\\"[[[' });
  assert.equal(jsonDepthOffset(text), -1);
  assert.equal(codeOf(text), undefined);
});

test("non-finite numbers are found with their path; finite ones and strings pass", () => {
  assert.deepEqual(findLimitViolation({ a: [1, { b: Number.POSITIVE_INFINITY }] }), {
    kind: "number",
    path: ["a", 1, "b"],
    value: Number.POSITIVE_INFINITY,
  });
  assert.equal(findLimitViolation({ a: [1.7e308, -0, "Infinity", null, true] }), undefined);
  assert.equal(codeOf('{"a": -1e400}'), "CIP_NUMBER_LIMIT");
  assert.equal(codeOf("a: -.inf\n"), "CIP_NUMBER_LIMIT");
  assert.equal(codeOf('a: ".inf"\n'), undefined);
});

test("a YAML anchor used many times is walked once per depth, not once per use", () => {
  const items = Array.from({ length: 200 }, () => "*big").join(", ");
  const text = `big: &big [${Array.from({ length: 5000 }, (_, i) => i).join(", ")}]\nuses: [${items}]\n`;
  const started = performance.now();
  assert.equal(codeOf(text), undefined);
  assert.ok(performance.now() - started < 2000);
});

test("other YAML errors stay CIP_PARSE with a position", () => {
  assert.equal(codeOf("a: 1\na: 2\n"), "CIP_PARSE");
  assert.equal(codeOf("a: *nowhere\n"), "CIP_PARSE");
  assert.equal(codeOf("a: 1\n---\nb: 2\n"), "CIP_PARSE");
});

test("a YAML mapping of 30,000 keys parses in linear time; a repeated key is still refused with its place", () => {
  const keys = Array.from({ length: 30_000 }, (_, i) => `k${i}: v${i}`).join("\n");
  const started = performance.now();
  assert.equal(codeOf(keys), undefined);
  // The composer's pairwise unique-key check took 8.5 s here; the linear one well under a second
  assert.ok(performance.now() - started < 3_000, `took ${Math.round(performance.now() - started)} ms`);
  assert.throws(
    () => parseDocumentText("a: 1\nb:\n  c: 2\n  c: 3\n", "dup.yaml"),
    /Cannot parse dup\.yaml as YAML: Map keys must be unique \(line 4, column 3\)/,
  );
});

test("YAML over its own size limit is refused before parsing, pointing at JSON", () => {
  const text = `a: "${"x".repeat(MAX_YAML_CHARS)}"\n`;
  const started = performance.now();
  assert.throws(
    () => parseDocumentText(text, "big.yaml"),
    (error: unknown) =>
      isCipError(error) &&
      error.code === "CIP_INPUT_TOO_LARGE" &&
      /big\.yaml as YAML: .* over the YAML limit of 8388608/.test(error.message) &&
      /as JSON/.test(error.hint ?? ""),
  );
  assert.ok(performance.now() - started < 1_000);
});

test("a million nested flow brackets or compact dashes are refused from the token stream, before any tree is built", () => {
  for (const text of [
    `a: ${"[".repeat(1_000_000)}${"]".repeat(1_000_000)}\n`,
    `a: ${"{a: ".repeat(500_000)}1${"}".repeat(500_000)}\n`,
    `x:\n${"- ".repeat(1_000_000)}1\n`,
  ]) {
    const started = performance.now();
    assert.equal(codeOf(text), "CIP_NESTING_LIMIT");
    // The parser's tree for this took 9 s and 1.7 GB; the lexer stops at the 513th level
    assert.ok(performance.now() - started < 1_000, `took ${Math.round(performance.now() - started)} ms`);
  }
});
