import assert from "node:assert/strict";
import { test } from "node:test";
import { CipError } from "../model/index.js";
import { factsFromDocument } from "./facts-document.js";

const DIGEST = `sha256:${"b".repeat(64)}`;

/** The problem messages a refused facts document lists. */
function problems(document: unknown): string[] {
  try {
    factsFromDocument(document, "facts.json");
  } catch (error) {
    assert.ok(error instanceof CipError);
    assert.equal(error.code, "CIP_FACTS_INVALID");
    return (error.problems ?? []).map((p) => p.message);
  }
  assert.fail("the document was accepted");
}

test("a facts document about an image known only by its digest is accepted as `cipolice facts` prints it", () => {
  const facts = factsFromDocument(
    { schemaVersion: "1", ref: { registry: "", repository: "", digest: DIGEST }, digest: DIGEST },
    "facts.json",
  );
  assert.deepEqual(facts.ref, { registry: "", repository: "", digest: DIGEST });
});

test("a named image still needs both its registry and its repository", () => {
  assert.deepEqual(problems({ ref: { registry: "", repository: "library/nginx" } }), [
    "ref.registry: must not be empty when the other name part is given (leave both empty only for an image known only by its digest)",
  ]);
  assert.equal(problems({ ref: { registry: "docker.io", repository: "" } }).length, 1);
});

test("empty names without a digest, or with a tag, say what is missing", () => {
  assert.deepEqual(problems({ ref: { registry: "", repository: "" } }), [
    "ref.digest: required when registry and repository are empty (an image known only by its digest)",
  ]);
  assert.match(
    problems({ ref: { registry: "", repository: "", tag: "1", digest: DIGEST } })[0] ?? "",
    /^ref\.tag: an image known only by its digest has no tag/,
  );
});
