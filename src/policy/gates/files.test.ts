import assert from "node:assert/strict";
import { test } from "node:test";
import { factsFor, fireTrigger, paramProblems } from "../../../test/support/gates.js";
import type { FileEntry } from "../../model/index.js";
import { defaultTriggerId } from "../trigger-id.js";
import { filesGate } from "./files.js";

const files: FileEntry[] = [
  { path: "/bin", mode: 0o40755, type: "dir" },
  { path: "/bin/arch", mode: 0o120777, type: "symlink", checksums: { sha256: "480bddf7" } },
  { path: "/bin/ping", mode: 0o104755, type: "file" },
  { path: "/usr/share/keys", mode: 0o6000, type: "dir" },
  { path: "/etc/ssl/server.pem", mode: 0o100600, type: "file", checksums: { sha256: "abc123" } },
];
const facts = factsFor({
  files,
  contentMatches: {
    "AWS_ACCESS_KEY=(?i).*aws_access_key_id( *=+ *).*": ["/root/.aws/credentials"],
    PASSWORD: ["/etc/app.conf", "/root/.aws/credentials"],
  },
});

const messages = (trigger: string, params: Record<string, string>, f = facts) =>
  fireTrigger(filesGate, trigger, params, f).map((h) => h.message);

test("suid_or_guid_set fires per setuid/setgid file with the mode as Python's oct() prints it", () => {
  const hits = fireTrigger(filesGate, "suid_or_guid_set", {}, facts);
  const message = "SUID or SGID found set on file /bin/ping. Mode: 0o104755";
  assert.deepEqual(hits, [
    { message, triggerId: defaultTriggerId("files", "suid_or_guid_set", message) },
    {
      message: "SUID or SGID found set on file /usr/share/keys. Mode: 0o6000",
      triggerId: defaultTriggerId(
        "files",
        "suid_or_guid_set",
        "SUID or SGID found set on file /usr/share/keys. Mode: 0o6000",
      ),
    },
  ]);
});

test("name_match fires per path the regex matches at its start", () => {
  assert.deepEqual(messages("name_match", { regex: ".*\\.pem" }), [
    "Application of regex matched file found in container: file=/etc/ssl/server.pem regexp=.*\\.pem",
  ]);
  assert.deepEqual(messages("name_match", { regex: "arch" }), []);
  assert.deepEqual(messages("name_match", { regex: "/bin/a" }), [
    "Application of regex matched file found in container: file=/bin/arch regexp=/bin/a",
  ]);
});

test("name_match accepts an invalid regex at validation and fails with it at evaluation", () => {
  assert.deepEqual(paramProblems(filesGate, "name_match", { regex: "*\\.pem" }), []);
  assert.throws(() => messages("name_match", { regex: "*\\.pem" }), /regular expression "\*\\\\.pem"/);
  // Without files it is never used, so nothing fails.
  assert.deepEqual(messages("name_match", { regex: "*\\.pem" }, factsFor()), []);
});

test("attribute_match compares permission bits as octal, and checksums", () => {
  assert.deepEqual(messages("attribute_match", { filename: "/bin/arch", mode: "00777", mode_op: "equals" }), [
    "filename=/bin/arch and mode=0o777 op=equals specified_mode=0o777",
  ]);
  assert.deepEqual(
    messages("attribute_match", { filename: "/etc/ssl/server.pem", mode: "00644", mode_op: "not_equals" }),
    ["filename=/etc/ssl/server.pem and mode=0o600 op=not_equals specified_mode=0o644"],
  );
  assert.deepEqual(
    messages("attribute_match", { filename: "/bin/ping", mode: "0o104755", mode_op: "equals" }),
    [],
  );
  assert.deepEqual(
    messages("attribute_match", {
      filename: "/etc/ssl/server.pem",
      checksum: "abc123",
      checksum_match: "equals",
      mode: "600",
    }),
    [
      "filename=/etc/ssl/server.pem and checksum=abc123 op=equals specified_checksum=abc123 and mode=0o600 op=equals specified_mode=0o600",
    ],
  );
  assert.deepEqual(
    messages("attribute_match", { filename: "/bin", checksum: "ff", checksum_match: "not_equals" }),
    ["filename=/bin and checksum= op=not_equals specified_checksum=ff"],
  );
  assert.deepEqual(messages("attribute_match", { filename: "/bin", checksum: "ff" }), []);
  assert.deepEqual(messages("attribute_match", { filename: "/bin" }), []);
});

test("attribute_match on a missing file fires only with skip_missing=false, also without file data", () => {
  assert.deepEqual(messages("attribute_match", { filename: "/nope", mode: "644" }), []);
  const message = "filename=/nope and skip_missing=False";
  assert.deepEqual(messages("attribute_match", { filename: "/nope", mode: "644", skip_missing: "false" }), [
    message,
  ]);
  assert.deepEqual(messages("attribute_match", { filename: "/nope", skip_missing: "False" }, factsFor()), [
    message,
  ]);
});

test("attribute_match with a mode that is not octal fails at evaluation, as Python's int(mode, 8)", () => {
  assert.deepEqual(paramProblems(filesGate, "attribute_match", { filename: "/bin", mode: "rwx" }), []);
  assert.throws(
    () => messages("attribute_match", { filename: "/bin", mode: "rwx" }),
    /invalid literal for int\(\) with base 8: 'rwx'/,
  );
});

test("content_regex_match fires per file and matching regex, selected by name, regex or whole entry", () => {
  const all = messages("content_regex_match", {});
  assert.deepEqual(all, [
    "File content analyzer found regexp match in container: file=/root/.aws/credentials regexp=AWS_ACCESS_KEY=(?i).*aws_access_key_id( *=+ *).*",
    "File content analyzer found regexp match in container: file=/root/.aws/credentials regexp=PASSWORD",
    "File content analyzer found regexp match in container: file=/etc/app.conf regexp=PASSWORD",
  ]);
  assert.deepEqual(messages("content_regex_match", { regex_name: "AWS_ACCESS_KEY" }), [all[0]]);
  assert.deepEqual(messages("content_regex_match", { regex_name: "(?i).*aws_access_key_id( *=+ *).*" }), [
    all[0],
  ]);
  assert.deepEqual(messages("content_regex_match", { regex_name: "PASSWORD" }), [all[1], all[2]]);
  // The name is compared literally, as anchore-engine does: `*` is no wildcard here.
  assert.deepEqual(messages("content_regex_match", { regex_name: "*" }), []);
  assert.deepEqual(messages("content_regex_match", {}, factsFor()), []);
});

test("without file data nothing fires", () => {
  assert.deepEqual(messages("suid_or_guid_set", {}, factsFor()), []);
  assert.deepEqual(messages("name_match", { regex: ".*" }, factsFor()), []);
});
