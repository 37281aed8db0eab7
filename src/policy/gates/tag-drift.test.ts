import assert from "node:assert/strict";
import { test } from "node:test";
import { factsFor, fireTrigger } from "../../../test/support/gates.js";
import type { ImageFacts } from "../../model/index.js";
import { defaultTriggerId } from "../trigger-id.js";
import { tagDriftGate } from "./tag-drift.js";

const facts = factsFor({
  previousPackages: [
    { name: "musl", version: "1.2.3-r4", type: "apk" },
    { name: "curl", version: "8.0.1-r0", type: "apk" },
    { name: "express", version: "4.18.1", type: "npm", path: "/app/node_modules/express" },
  ],
  packages: [
    { name: "musl", version: "1.2.4-r0", type: "apk" },
    { name: "busybox", version: "1.36.1-r2", type: "apk" },
    { name: "express", version: "4.18.1", type: "npm", path: "/app/node_modules/express" },
    { name: "express", version: "4.17.0", type: "npm", path: "/app/node_modules/other/node_modules/express" },
  ],
});

const messages = (trigger: string, params: Record<string, string> = {}, f: ImageFacts = facts) =>
  fireTrigger(tagDriftGate, trigger, params, f).map((h) => h.message);

test("packages_added fires per package (type, name, location) the previous image did not have", () => {
  const hits = fireTrigger(tagDriftGate, "packages_added", {}, facts);
  const first = "Package added since the previous image of this tag: busybox-1.36.1-r2 (apk)";
  assert.deepEqual(hits[0], {
    message: first,
    triggerId: defaultTriggerId("tag_drift", "packages_added", first),
  });
  assert.deepEqual(
    hits.map((h) => h.message),
    [
      first,
      "Package added since the previous image of this tag: express-4.17.0 (npm at /app/node_modules/other/node_modules/express)",
    ],
  );
});

test("packages_removed and packages_modified", () => {
  assert.deepEqual(messages("packages_removed"), [
    "Package removed since the previous image of this tag: curl-8.0.1-r0 (apk)",
  ]);
  assert.deepEqual(messages("packages_modified"), [
    "Package modified since the previous image of this tag: musl (apk) 1.2.3-r4 -> 1.2.4-r0",
  ]);
});

test("package_type limits the packages looked at", () => {
  assert.deepEqual(messages("packages_added", { package_type: "npm" }).length, 1);
  assert.deepEqual(messages("packages_modified", { package_type: "npm" }), []);
  assert.deepEqual(messages("packages_removed", { package_type: "APK" }).length, 1);
});

test("nothing fires when the previous image of the tag is not known", () => {
  const first = factsFor({ packages: facts.packages });
  for (const trigger of ["packages_added", "packages_removed", "packages_modified"]) {
    assert.deepEqual(messages(trigger, {}, first), []);
  }
});
