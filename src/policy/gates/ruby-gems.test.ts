import assert from "node:assert/strict";
import { test } from "node:test";
import { factsFor, fireTrigger } from "../../../test/support/gates.js";
import type { ImageFacts, Package } from "../../model/index.js";
import { rubyGemsGate } from "./ruby-gems.js";

const gem = (name: string, version: string): Package => ({ name, version, type: "gem" });
const facts = factsFor({
  packages: [gem("rake", "12.3.1"), gem("rake", "13.0.6"), gem("json", "2.99"), gem("homegrown", "0.1")],
  feeds: { gem: { versions: { rake: ["12.3.1", "13.0.6"], json: ["2.5.1", "2.6.3"] } } },
});

const messages = (trigger: string, params: Record<string, string> = {}, f: ImageFacts = facts) =>
  fireTrigger(rubyGemsGate, trigger, params, f).map((h) => h.message);

test("feed comparisons use anchore's gem messages", () => {
  assert.deepEqual(messages("newer_version_found_in_feed"), [
    "Package (rake) version (12.3.1) installed but is not the latest version (13.0.6)",
    "Package (json) version (2.99) installed but is not the latest version (2.6.3)",
  ]);
  assert.deepEqual(messages("not_found_in_feed"), [
    "GEMNOTOFFICIAL Package (homegrown) in container but not in official GEM feed.",
  ]);
  assert.deepEqual(messages("version_not_found_in_feed"), [
    "GEMBADVERSION Package (json) version (2.99) installed but version is not in the official feed for this package (['2.5.1', '2.6.3'])",
  ]);
});

test("blacklist and feed_data_unavailable", () => {
  assert.deepEqual(messages("blacklist", { name: "rake", version: "12.3.1" }), [
    "Gem Package is blacklisted: rake-12.3.1",
  ]);
  assert.deepEqual(messages("blacklist", { name: "rake" }), ["Gem Package is blacklisted: rake"]);
  assert.deepEqual(messages("feed_data_unavailable"), []);
  assert.deepEqual(messages("feed_data_unavailable", {}, factsFor()), [
    "Gem packages are present but the anchore gem feed is not available - will be unable to perform checks that require feed data",
  ]);
  assert.deepEqual(messages("not_found_in_feed", {}, factsFor({ packages: facts.packages })), []);
});
