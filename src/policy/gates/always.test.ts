import assert from "node:assert/strict";
import { test } from "node:test";
import { factsFor, fireTrigger, paramProblems } from "../../../test/support/gates.js";
import { alwaysGate } from "./always.js";

test("always/always fires once with trigger id 'always' on any image", () => {
  const hits = fireTrigger(alwaysGate, "always", {}, factsFor());
  assert.deepEqual(hits, [{ triggerId: "always", message: "Unconditional trigger match" }]);
});

test("always/always rejects parameters it does not take", () => {
  assert.match(
    paramProblems(alwaysGate, "always", { foo: "1" })[0] ?? "",
    /unknown parameter "foo".*takes no parameters/,
  );
});
