import assert from "node:assert/strict";
import { test } from "node:test";
import { factsFor, fireTrigger, paramProblems } from "../../../test/support/gates.js";
import { defaultTriggerId } from "../trigger-id.js";
import { secretScansGate } from "./secret-scans.js";

const facts = factsFor({
  secrets: [
    { regexName: "AWS_ACCESS_KEY", path: "/fake_aws_key", line: 1 },
    { regexName: "AWS_ACCESS_KEY", path: "/fake_aws_key", line: 9 },
    { regexName: "PRIV_KEY", path: "/fake_private_key" },
    { regexName: "MY_TOKEN", path: "/etc/app/token" },
  ],
});
const AWS =
  "Secret content search analyzer found regexp match in container: file=/fake_aws_key regexp=AWS_ACCESS_KEY=(?i).*aws_access_key_id( *=+ *).*(?<![A-Z0-9])[A-Z0-9]{20}(?![A-Z0-9]).*";
const PRIV =
  "Secret content search analyzer found regexp match in container: file=/fake_private_key regexp=PRIV_KEY=(?i)-+BEGIN(.*)PRIVATE KEY-+";
const TOKEN =
  "Secret content search analyzer found regexp match in container: file=/etc/app/token regexp=MY_TOKEN";

const messages = (params: Record<string, string>, f = facts) =>
  fireTrigger(secretScansGate, "content_regex_checks", params, f).map((h) => h.message);

test("without parameters it fires once per file and regex, printing anchore's default regexes in full", () => {
  const hits = fireTrigger(secretScansGate, "content_regex_checks", {}, facts);
  assert.deepEqual(
    hits.map((h) => h.message),
    [AWS, PRIV, TOKEN],
  );
  assert.equal(hits[0]?.triggerId, defaultTriggerId("secret_scans", "content_regex_checks", AWS));
});

test("content_regex_name selects regex names contained in it; filename_regex filters paths from their start", () => {
  assert.deepEqual(messages({ content_regex_name: "AWS_ACCESS_KEY" }), [AWS]);
  assert.deepEqual(messages({ content_regex_name: "AWS_ACCESS_KEY,MY_TOKEN" }), [AWS, TOKEN]);
  assert.deepEqual(messages({ content_regex_name: "test" }), []);
  assert.deepEqual(messages({ filename_regex: "/fake*" }), [AWS, PRIV]);
  assert.deepEqual(
    messages({ filename_regex: "/fake*", content_regex_name: "AWS_ACCESS_KEY", match_type: "found" }),
    [AWS],
  );
});

test("match_type notfound fires once when nothing was selected, naming the filters", () => {
  assert.deepEqual(messages({ filename_regex: "/fake_test*", match_type: "notfound" }), [
    "Secret content search analyzer did not find regexp match in container: filename_regex=/fake_test* content_regex_name=all",
  ]);
  assert.deepEqual(messages({ content_regex_name: "PRIV_KEY", match_type: "notfound" }), []);
});

test("without secret data, found stays silent and notfound fires", () => {
  assert.deepEqual(messages({}, factsFor()), []);
  assert.deepEqual(messages({ match_type: "notfound" }, factsFor()), [
    "Secret content search analyzer did not find regexp match in container: filename_regex=* content_regex_name=all",
  ]);
});

test("a bad filename_regex validates and fails at evaluation; match_type is found or notfound", () => {
  assert.deepEqual(paramProblems(secretScansGate, "content_regex_checks", { filename_regex: "[" }), []);
  assert.throws(() => messages({ filename_regex: "[" }), /regular expression "\["/);
  assert.match(
    paramProblems(secretScansGate, "content_regex_checks", { match_type: "any" })[0] ?? "",
    /notfound, found/,
  );
});
