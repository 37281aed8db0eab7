import assert from "node:assert/strict";
import { test } from "node:test";
import { factsFor, fireTrigger, paramProblems } from "../../../test/support/gates.js";
import { defaultTriggerId } from "../trigger-id.js";
import { passwdFileGate } from "./passwd-file.js";

const passwd = [
  "root:x:0:0:root:/root:/bin/bash",
  "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin",
  "  ftp:x:14:50:FTP User:/var/ftp:/sbin/nologin  ",
  "broken:x",
  "istio-proxy:x:1337:1337::/home/istio-proxy:/bin/sh",
].join("\n");
const facts = factsFor({ passwd: `${passwd}\n` });

const messages = (trigger: string, params: Record<string, string>, f = facts) =>
  fireTrigger(passwdFileGate, trigger, params, f).map((h) => h.message);

test("blacklist_usernames fires per listed user with the whole entry", () => {
  const hits = fireTrigger(
    passwdFileGate,
    "blacklist_usernames",
    { user_names: "istio-proxy, nobody" },
    facts,
  );
  const message =
    "Blacklisted user 'istio-proxy' found in image's /etc/passwd: pentry=istio-proxy:x:1337:1337::/home/istio-proxy:/bin/sh";
  assert.deepEqual(hits, [
    { message, triggerId: defaultTriggerId("passwd_file", "blacklist_usernames", message) },
  ]);
});

test("blacklist_userids and blacklist_groupids compare the numeric fields", () => {
  assert.deepEqual(messages("blacklist_userids", { user_ids: "0,1337" }), [
    "Blacklisted uid '0' found in image's /etc/passwd: pentry=root:x:0:0:root:/root:/bin/bash",
    "Blacklisted uid '1337' found in image's /etc/passwd: pentry=istio-proxy:x:1337:1337::/home/istio-proxy:/bin/sh",
  ]);
  assert.deepEqual(messages("blacklist_groupids", { group_ids: "50" }), [
    "Blacklisted gid '50' found in image's /etc/passwd: pentry=ftp:x:14:50:FTP User:/var/ftp:/sbin/nologin",
  ]);
});

test("blacklist_shells and blacklist_full_entry match whole fields and whole (trimmed) lines", () => {
  assert.deepEqual(messages("blacklist_shells", { shells: "/bin/bash,/bin/zsh" }), [
    "Blacklisted shell '/bin/bash' found in image's /etc/passwd: pentry=root:x:0:0:root:/root:/bin/bash",
  ]);
  const entry = "ftp:x:14:50:FTP User:/var/ftp:/sbin/nologin";
  assert.deepEqual(messages("blacklist_full_entry", { entry: ` ${entry} ` }), [
    `Blacklisted pentry '${entry}' found in image's /etc/passwd: pentry=${entry}`,
  ]);
});

test("content_not_available fires only when no /etc/passwd was read; the other triggers then stay silent", () => {
  const none = factsFor();
  assert.deepEqual(messages("content_not_available", {}, none), [
    "Cannot locate /etc/passwd in image stored files archive: check analyzer settings.",
  ]);
  assert.deepEqual(messages("content_not_available", {}, factsFor({ passwd: "" })).length, 1);
  assert.deepEqual(messages("content_not_available", {}), []);
  assert.deepEqual(messages("blacklist_usernames", { user_names: "root" }, none), []);
});

test("/etc/passwd among the retrieved files serves when the passwd fact is absent", () => {
  const f = factsFor({ retrievedFiles: { "/etc/passwd": "root:x:0:0:root:/root:/bin/bash\n" } });
  assert.equal(messages("blacklist_userids", { user_ids: "0" }, f).length, 1);
  assert.deepEqual(messages("content_not_available", {}, f), []);
});

test("ids must be numbers", () => {
  assert.match(
    paramProblems(passwdFileGate, "blacklist_userids", { user_ids: "root" })[0] ?? "",
    /whole numbers/,
  );
});
