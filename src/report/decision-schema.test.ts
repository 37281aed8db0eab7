import assert from "node:assert/strict";
import { test } from "node:test";
import { goldenDecisions } from "../../test/support/golden.js";
import type { DecisionV1 } from "../model/index.js";
import { type DecisionV1FromSchema, decisionV1Schema } from "./decision-schema.js";
import { formatJson } from "./json-format.js";

// Exact type equality: unlike mutual assignability, it also catches an optional field added on one side only.
type Exact<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type Deep<T> = T extends object ? { [K in keyof T]: Deep<T[K]> } : T;

// `npm test` type-checks before it runs the tests: this line stops it when the schema and the type drift.
const sameShape: Exact<Deep<DecisionV1>, Deep<DecisionV1FromSchema>> = true;

test("the zod schema and DecisionV1 have exactly the same shape (checked by tsc)", () => {
  assert.equal(sameShape, true);
});

for (const golden of goldenDecisions()) {
  test(`the JSON of golden decision ${golden.name} parses with the strict schema`, {
    skip: golden.skip,
  }, () => {
    const parsed = decisionV1Schema.safeParse(JSON.parse(formatJson(golden.decision as DecisionV1)));
    assert.ok(parsed.success, parsed.success ? "" : JSON.stringify(parsed.error.issues, null, 2));
  });
}

test("a field the type does not have is rejected", () => {
  const golden = goldenDecisions().find((g) => g.decision);
  if (!golden?.decision) return;
  const parsed = decisionV1Schema.safeParse({ ...golden.decision, verdict: "go" });
  assert.equal(parsed.success, false);
});
