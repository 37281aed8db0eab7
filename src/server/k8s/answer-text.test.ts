import assert from "node:assert/strict";
import { test } from "node:test";
import { charCount, limitWarnings, statusMessageText, truncateText } from "./answer-text.js";
import { isAuditAnnotationKey } from "./audit-annotations.js";

test("charCount counts code points as Go counts runes", () => {
  assert.equal(charCount("abc"), 3);
  assert.equal(charCount("Iñtërnâtiô"), 10);
  assert.equal(charCount("😀😀"), 2);
});

test("truncateText leaves short texts alone and bounds long ones for every limit", () => {
  assert.equal(truncateText("short", 10), "short");
  assert.equal(truncateText("😀😀😀", 3), "😀😀😀");
  for (const max of [1, 5, 20, 33, 34, 40, 100, 999]) {
    for (const length of [max + 1, max * 3, 10_000]) {
      const cut = truncateText("😀".repeat(length), max);
      assert.ok(charCount(cut) <= max, `max ${max}, length ${length}: ${charCount(cut)}`);
      if (max >= 40) {
        const match = /\((\d+) more characters left out\)$/.exec(cut);
        assert.ok(match, cut);
        const kept = cut.indexOf(" … ");
        assert.equal(charCount(cut.slice(0, kept)) + Number(match[1]), length);
      }
    }
  }
});

test("statusMessageText keeps lines, drops other control bytes and repairs lone surrogates", () => {
  assert.equal(statusMessageText("a\nb\tc\u0000d\u001be"), "a\nb\tc d e");
  assert.equal(statusMessageText("x\uD800y"), "x\uFFFDy");
});

test("limitWarnings: nothing to change for a few clean warnings", () => {
  assert.deepEqual(limitWarnings(["one", "two"]), ["one", "two"]);
  assert.deepEqual(limitWarnings(["tab\there", "\u0085next"]), ["tab here", "next"]);
});

test("audit annotation keys follow the qualified-name rules", () => {
  for (const ok of ["a", "decision-id", "cipolice.dev_x", "A1", "x".repeat(63)])
    assert.ok(isAuditAnnotationKey(ok), ok);
  for (const bad of ["", "-a", "a-", "a/b", "has space", "x".repeat(64)])
    assert.ok(!isAuditAnnotationKey(bad), bad);
});
