import assert from "node:assert/strict";
import { test } from "node:test";
import { factsFor, fireTrigger, paramProblems, TEST_NOW } from "../../../test/support/gates.js";
import type { ImageFacts } from "../../model/index.js";
import { compileTrigger } from "../compile-trigger.js";
import type { TriggerContext, TriggerHit } from "../gate-types.js";
import { retrievedFilesGate } from "./retrieved-files.js";

const facts = factsFor({
  retrievedFiles: {
    "/etc/passwd": "adm:x:5:5:adm:/var/adm:/bin/bash",
    "/etc/httpd.conf": "Listen 80\nSSLEnabled  off\n",
  },
});

const messages = (trigger: string, params: Record<string, string>, f: ImageFacts = facts) =>
  fireTrigger(retrievedFilesGate, trigger, params, f).map((h) => h.message);

/** Runs content_regex as the engine would with a rule id in the context. */
function withRuleId(ruleId: string, params: Record<string, string>): TriggerHit[] {
  const trigger = retrievedFilesGate.triggers.find((t) => t.name === "content_regex");
  assert.ok(trigger);
  const compiled = compileTrigger(
    retrievedFilesGate,
    trigger,
    Object.entries(params).map(([name, value]) => ({ name, value })),
  );
  assert.ok(compiled.ok);
  const hits: TriggerHit[] = [];
  const ctx: TriggerContext & { ruleId: string } = {
    facts,
    gate: undefined,
    now: TEST_NOW,
    ruleId,
    fire: (h) => hits.push(h),
    noData: () => {},
  };
  compiled.evaluator(ctx);
  return hits;
}

test("content_not_available fires when the file was not retrieved (twice when nothing was, as anchore-engine)", () => {
  const message = "Cannot locate file in the image analysis";
  assert.deepEqual(messages("content_not_available", { path: "/test/path" }), [message]);
  assert.deepEqual(messages("content_not_available", { path: "/etc/passwd" }), []);
  assert.deepEqual(messages("content_not_available", { path: "/etc/passwd" }, factsFor()), [
    message,
    message,
  ]);
});

test("content_regex matches at the start of each whitespace-separated word", () => {
  assert.deepEqual(messages("content_regex", { path: "/etc/passwd", check: "match", regex: ".*bash" }), [
    "Content regex '.*bash' check 'match' found in retrieved file '/etc/passwd'",
  ]);
  assert.deepEqual(messages("content_regex", { path: "/etc/passwd", check: "match", regex: ".*zsh" }), []);
  assert.deepEqual(
    messages("content_regex", { path: "/etc/passwd", check: "no_match", regex: ".*bash" }),
    [],
  );
  assert.deepEqual(
    messages("content_regex", { path: "/etc/httpd.conf", check: "no_match", regex: ".*SSLEnabled.*on" }),
    ["Content regex '.*SSLEnabled.*on' check 'no_match' found in retrieved file '/etc/httpd.conf'"],
  );
  // "Enabled" is inside a word, and re.match anchors at the word's start.
  assert.deepEqual(
    messages("content_regex", { path: "/etc/httpd.conf", check: "match", regex: "Enabled" }),
    [],
  );
});

test("content_regex has the trigger id <rule id>+file://<path>", () => {
  const hits = withRuleId("rule-7", { path: "/etc/passwd", check: "match", regex: ".*bash" });
  assert.equal(hits[0]?.instanceId, "rule-7+file:///etc/passwd");
});

test("content_regex stays silent for a missing file or no retrieved files; a bad regex fails at evaluation", () => {
  assert.deepEqual(messages("content_regex", { path: "/nope", check: "no_match", regex: "x" }), []);
  assert.deepEqual(
    messages("content_regex", { path: "/etc/passwd", check: "no_match", regex: "x" }, factsFor()),
    [],
  );
  assert.deepEqual(
    paramProblems(retrievedFilesGate, "content_regex", { path: "/a", check: "match", regex: "(" }),
    [],
  );
  assert.throws(
    () => messages("content_regex", { path: "/etc/passwd", check: "match", regex: "(" }),
    /regular expression "\("/,
  );
});

test("content_regex needs path, regex and a check of match or no_match", () => {
  assert.equal(paramProblems(retrievedFilesGate, "content_regex", { check: "match", regex: ".*" }).length, 1);
  assert.match(
    paramProblems(retrievedFilesGate, "content_regex", { path: "/a", check: "!=", regex: ".*" })[0] ?? "",
    /one of match, no_match/,
  );
});
