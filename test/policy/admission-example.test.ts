import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { Ajv } from "ajv";
import { parse } from "yaml";
import { parseImageReference } from "../../src/image/image-reference.js";
import type { DecisionV1, ImageFacts, Vulnerability } from "../../src/model/index.js";
import { dataNeeds } from "../../src/policy/data-needs.js";
import { checkImage } from "../../src/service/check-image.js";
import { loadBundle } from "../../src/service/load-bundle.js";
import { REPO_ROOT } from "../support/corpus.js";

const FILE = "policies/admission-example.yaml";
const TEXT = readFileSync(join(REPO_ROOT, FILE), "utf8");
const BUNDLE = loadBundle(TEXT, FILE);
const NOW = new Date("2026-11-01T00:00:00Z");
const INTERNAL = "registry.internal.example:5000";
const DIGEST = `sha256:${"c".repeat(64)}`;

const CRITICAL: Vulnerability = {
  id: "CVE-2026-0001",
  package: { name: "openssl", version: "3.0.1-r0", type: "apk" },
  severity: "critical",
  fix: { state: "fixed", versions: ["3.0.2-r0"] },
};

/** Facts of an image named by `reference`, scanned with the given findings (none by default). */
function scanned(reference: string, vulnerabilities: Vulnerability[] = []): ImageFacts {
  return { ref: parseImageReference(reference), vulnerabilities };
}

function decide(facts: ImageFacts, namespace?: string): DecisionV1 {
  return checkImage(BUNDLE, facts, { now: NOW, ...(namespace !== undefined ? { namespace } : {}) });
}

/** The rules that fired with a non-GO action, as `rule id:action`. */
function fired(decision: DecisionV1): string[] {
  return decision.results
    .filter((r) => r.status === "fired" && r.effectiveAction !== "go")
    .map((r) => `${r.ruleId}:${r.effectiveAction}`)
    .sort();
}

test("the example bundle names the schema for editors and validates against it", () => {
  assert.equal(TEXT.split("\n")[0], "# yaml-language-server: $schema=../schemas/policy-bundle.schema.json");
  const schema = JSON.parse(readFileSync(join(REPO_ROOT, "schemas/policy-bundle.schema.json"), "utf8"));
  const validate = new Ajv({ strict: false, allErrors: true }).compile(schema);
  assert.ok(validate(parse(TEXT)), JSON.stringify(validate.errors));
  assert.deepEqual(BUNDLE.warnings, []);
});

test("a well-named, pinned image from the internal registry is admitted in production", () => {
  const decision = decide(scanned(`${INTERNAL}/payments/card-api:2.4.1@${DIGEST}`), "prod");
  assert.equal(decision.mapping?.id, "production");
  assert.deepEqual(fired(decision), []);
  assert.equal(decision.finalAction, "go");
  assert.equal(decision.status, "pass");
});

test("the tag latest is denied in every namespace", () => {
  for (const namespace of ["prod", "dev", undefined]) {
    const decision = decide(scanned(`${INTERNAL}/web/storefront:latest`), namespace);
    assert.deepEqual(fired(decision), ["no-latest:stop"], `namespace ${namespace}`);
    assert.equal(decision.status, "fail");
  }
});

test("an untagged image is denied: no tag and no digest means latest", () => {
  const implicit = decide(scanned(`${INTERNAL}/web/storefront`), "dev");
  assert.deepEqual(fired(implicit), ["no-latest:stop"]);
  const noTag = decide(
    { ref: { registry: INTERNAL, repository: "web/storefront" }, vulnerabilities: [] },
    "dev",
  );
  assert.deepEqual(fired(noTag), ["no-latest:stop"]);
  assert.equal(noTag.finalAction, "stop");
});

test("a repository outside the naming convention is denied", () => {
  for (const repository of ["storefront", "marketing/site", "web/store_front", "web/storefront/v2"]) {
    const decision = decide(scanned(`${INTERNAL}/${repository}:1.0.0`), "dev");
    assert.deepEqual(fired(decision), ["repository-naming:stop"], repository);
  }
});

test("a foreign registry is denied in production namespaces and admitted elsewhere", () => {
  const facts = scanned("docker.io/web/storefront:1.4.2");
  for (const namespace of ["prod", "prod-eu", "production", "PROD"]) {
    const decision = decide(facts, namespace);
    assert.deepEqual(fired(decision), ["internal-registry-only:stop"], namespace);
    assert.equal(decision.finalAction, "stop");
  }
  for (const namespace of ["dev", "staging", "production-like", undefined]) {
    const decision = decide(facts, namespace);
    assert.equal(decision.mapping?.id, "everything-else", `namespace ${namespace}`);
    assert.equal(decision.finalAction, "go");
  }
});

test("a critical vulnerability stops in production and warns elsewhere", () => {
  const facts = scanned(`${INTERNAL}/platform/log-shipper:7.1.0`, [CRITICAL]);
  const prod = decide(facts, "prod");
  assert.deepEqual(fired(prod), ["critical-stop:stop"]);
  assert.equal(prod.status, "fail");
  const dev = decide(facts, "dev");
  assert.deepEqual(fired(dev), ["critical-warn:warn"]);
  assert.equal(dev.finalAction, "warn");
  assert.equal(dev.status, "pass");
});

test("an image without scan data is admitted to production with a warning", () => {
  const decision = decide({ ref: parseImageReference(`${INTERNAL}/web/storefront:1.4.2`) }, "prod");
  assert.deepEqual(fired(decision), ["not-scanned:warn"]);
  assert.equal(decision.finalAction, "warn");
});

test("production needs the stored reports; its naming and registry rules alone need only the reference", () => {
  const ref = parseImageReference(`${INTERNAL}/web/storefront:1.4.2`);
  const prod = dataNeeds(BUNDLE, ref, { namespace: "prod" });
  assert.equal(prod.mappingId, "production");
  assert.deepEqual([...prod.kinds].sort(), ["reference", "reports"]);

  // The same bundle without its vulnerability policies answers from the reference alone.
  const document = parse(TEXT) as { mappings: { policy_ids: string[] }[] };
  for (const mapping of document.mappings) {
    mapping.policy_ids = mapping.policy_ids.filter(
      (id) => id === "image-naming" || id === "production-source",
    );
  }
  const namingOnly = loadBundle(JSON.stringify(document), `${FILE} (naming only)`);
  for (const namespace of ["prod", "dev", undefined]) {
    const needs = dataNeeds(namingOnly, ref, namespace === undefined ? {} : { namespace });
    assert.deepEqual([...needs.kinds], ["reference"], `namespace ${namespace}`);
  }
  // Decided from the reference alone, as admission would with every registry unreachable.
  const foreign = checkImage(
    namingOnly,
    { ref: parseImageReference("docker.io/web/storefront:1.4.2") },
    {
      now: NOW,
      namespace: "prod",
    },
  );
  assert.deepEqual(fired(foreign), ["internal-registry-only:stop"]);
});
