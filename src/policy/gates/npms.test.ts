import assert from "node:assert/strict";
import { test } from "node:test";
import { factsFor, fireTrigger, paramProblems } from "../../../test/support/gates.js";
import type { ImageFacts, Package } from "../../model/index.js";
import { defaultTriggerId } from "../trigger-id.js";
import { npmsGate } from "./npms.js";

const npm = (name: string, version: string): Package => ({ name, version, type: "npm" });
const facts = factsFor({
  packages: [
    npm("yarn", "1.22.10"),
    npm("jsonparse", "1.1.0"),
    npm("ini", "1.0.0"),
    npm("unofficial-test", "1.3.1"),
    { name: "ini", version: "9", type: "gem" },
  ],
  feeds: {
    npm: {
      syncedAt: "2026-10-01T00:00:00Z",
      versions: {
        yarn: ["0.1.0", "0.3", "0.5.2", "1.22.10"],
        jsonparse: ["0.0.5", "0.0.4", "0.0.6", "1.1.0", "1.3.1"],
        ini: ["1.3.0", "1.2.0", "1.2.1", "1.3.5"],
      },
    },
  },
});

const messages = (trigger: string, params: Record<string, string> = {}, f: ImageFacts = facts) =>
  fireTrigger(npmsGate, trigger, params, f).map((h) => h.message);

test("newer_version_in_feed fires per installed version that is not the feed's newest", () => {
  const hits = fireTrigger(npmsGate, "newer_version_in_feed", {}, facts);
  const first =
    "NPMNOTLATEST Package (jsonparse) version (1.1.0) installed but is not the latest version (1.3.1)";
  assert.deepEqual(hits[0], {
    message: first,
    triggerId: defaultTriggerId("npms", "newer_version_in_feed", first),
  });
  assert.deepEqual(
    hits.map((h) => h.message),
    [first, "NPMNOTLATEST Package (ini) version (1.0.0) installed but is not the latest version (1.3.5)"],
  );
});

test("unknown_in_feeds and version_not_in_feeds, the latter listing the feed's versions as Python prints a list", () => {
  assert.deepEqual(messages("unknown_in_feeds"), [
    "NPMNOTOFFICIAL Package (unofficial-test) in container but not in official NPM feed.",
  ]);
  assert.deepEqual(messages("version_not_in_feeds"), [
    "NPMBADVERSION Package (ini) version (1.0.0) installed but version is not in the official feed for this package (['1.3.0', '1.2.0', '1.2.1', '1.3.5'])",
  ]);
});

test("feed comparisons stay silent without the feed, without npm packages, or when the feed knows none of them", () => {
  const noFeed = { ...facts, feeds: {} };
  for (const trigger of ["newer_version_in_feed", "unknown_in_feeds", "version_not_in_feeds"]) {
    assert.deepEqual(messages(trigger, {}, noFeed), []);
    assert.deepEqual(messages(trigger, {}, factsFor({ feeds: facts.feeds })), []);
  }
  const strangers = factsFor({ packages: [npm("left-pad", "1.0.0")], feeds: facts.feeds });
  assert.deepEqual(messages("unknown_in_feeds", {}, strangers), []);
});

test("feed_data_unavailable fires whenever the npm feed is missing", () => {
  const message =
    "NPM packages are present but the anchore npm feed is not available - will be unable to perform checks that require feed data";
  assert.deepEqual(messages("feed_data_unavailable", {}, factsFor()), [message]);
  assert.deepEqual(messages("feed_data_unavailable"), []);
});

test("blacklisted_name_version fires on an installed npm of that name, and version when given", () => {
  assert.deepEqual(messages("blacklisted_name_version", { name: "yarn" }), [
    "NPM Package is blacklisted: yarn",
  ]);
  assert.deepEqual(messages("blacklisted_name_version", { name: "ini", version: "1.0.0" }), [
    "NPM Package is blacklisted: ini-1.0.0",
  ]);
  assert.deepEqual(messages("blacklisted_name_version", { name: "ini", version: "9" }), []);
  assert.deepEqual(messages("blacklisted_name_version", { name: "no-match" }), []);
  assert.match(paramProblems(npmsGate, "blacklisted_name_version", {})[0] ?? "", /required parameter "name"/);
});
