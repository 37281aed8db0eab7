import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { postgresLocation } from "./postgres-location.js";
import { decisionFilters, decisionLimit, isDigest, MAX_DECISIONS } from "./store-rows.js";

describe("decision queries", () => {
  it("caps the limit at 1,000 and reads nonsense as the cap or zero", () => {
    assert.equal(decisionLimit(5), 5);
    assert.equal(decisionLimit(5_000), MAX_DECISIONS);
    assert.equal(decisionLimit(Number.NaN), MAX_DECISIONS);
    assert.equal(decisionLimit(-3), 0);
    assert.equal(decisionLimit(2.7), 2);
  });

  it("reads an image filter that is a digest as a digest filter", () => {
    const digest = `sha256:${"a".repeat(64)}`;
    assert.ok(isDigest(digest));
    assert.ok(!isDigest("registry.example/app:1.2"));
    assert.ok(!isDigest(`registry.example/app@${digest}`));
    assert.deepEqual(decisionFilters({ image: digest }), { image: null, digest, none: false });
    assert.deepEqual(decisionFilters({ image: "app:1", digest }), { image: "app:1", digest, none: false });
    assert.equal(decisionFilters({ image: digest, digest: `sha256:${"b".repeat(64)}` }).none, true);
  });
});

describe("postgresLocation", () => {
  it("leaves the password out of the user part and the parameters", () => {
    assert.equal(
      postgresLocation("postgres://app:s3cret@db.example:5432/cip"),
      "postgres://app@db.example:5432/cip",
    );
    assert.equal(
      postgresLocation("postgresql://app@db/cip?password=s3cret&sslmode=require"),
      "postgresql://app@db/cip?sslmode=require",
    );
    assert.doesNotMatch(postgresLocation("postgres://app:s3cret@[bad"), /s3cret/);
  });
});
