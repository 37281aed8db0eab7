import assert from "node:assert/strict";
import { test } from "node:test";
import { fillPlaceholders } from "./placeholders.js";

const message = {
  image: "nginx:latest",
  "size-mb": 42,
  labels: [],
  decision: { status: "fail", counts: { high: 2 } },
  "dotted.key": "whole",
  empty: null,
};

test("placeholders take fields, hyphenated names and dotted paths", () => {
  assert.deepEqual(fillPlaceholders("{image}", message), { value: "nginx:latest", missing: [] });
  assert.equal(fillPlaceholders("being {size-mb} MB", message).value, "being 42 MB");
  assert.equal(fillPlaceholders("{decision.status}/{decision.counts.high}", message).value, "fail/2");
  assert.equal(fillPlaceholders("{dotted.key}", message).value, "whole");
});

test("objects and lists become JSON, null its JSON word", () => {
  assert.equal(fillPlaceholders("{labels}", message).value, "[]");
  assert.equal(fillPlaceholders("{decision.counts}", message).value, '{"high":2}');
  assert.equal(fillPlaceholders("{empty}", message).value, "null");
});

test("a placeholder naming an absent field stays as written and is reported", () => {
  assert.deepEqual(fillPlaceholders("x {nope} {decision.nope} y", message), {
    value: "x {nope} {decision.nope} y",
    missing: ["nope", "decision.nope"],
  });
});

test("doubled braces are literal braces; other braces are kept", () => {
  assert.equal(fillPlaceholders("{{image}}", message).value, "{image}");
  assert.equal(fillPlaceholders("{{json .Config.Labels}}", message).value, "{json .Config.Labels}");
  assert.equal(fillPlaceholders("a { b } {}", message).value, "a { b } {}");
});

test("a value full of shell syntax is inserted as text, once, never re-read", () => {
  const hostile = { image: "$(touch x) `id` '; rm -rf / {image}" };
  assert.equal(fillPlaceholders("pre-{image}-post", hostile).value, `pre-${hostile.image}-post`);
});
