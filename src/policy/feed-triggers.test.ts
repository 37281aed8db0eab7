import assert from "node:assert/strict";
import { test } from "node:test";
import { factsFor, fireTrigger } from "../../test/support/gates.js";
import { npmsGate } from "./gates/npms.js";
import { rubyGemsGate } from "./gates/ruby-gems.js";

test("the npm and gem gates carry anchore's trigger names", () => {
  assert.deepEqual(
    npmsGate.triggers.map((t) => t.name),
    [
      "newer_version_in_feed",
      "unknown_in_feeds",
      "version_not_in_feeds",
      "blacklisted_name_version",
      "feed_data_unavailable",
    ],
  );
  assert.deepEqual(
    rubyGemsGate.triggers.map((t) => t.name),
    [
      "newer_version_found_in_feed",
      "not_found_in_feed",
      "version_not_found_in_feed",
      "blacklist",
      "feed_data_unavailable",
    ],
  );
});

test("each gate looks only at its own package type and feed", () => {
  const facts = factsFor({
    packages: [{ name: "left-pad", version: "0.1", type: "npm" }],
    feeds: { gem: { versions: { "left-pad": ["1.0"] } } },
  });
  assert.deepEqual(fireTrigger(rubyGemsGate, "version_not_found_in_feed", {}, facts), []);
  assert.deepEqual(fireTrigger(npmsGate, "version_not_in_feeds", {}, facts), []);
  assert.equal(fireTrigger(npmsGate, "feed_data_unavailable", {}, facts).length, 1);
  assert.equal(fireTrigger(rubyGemsGate, "feed_data_unavailable", {}, facts).length, 0);
});
