import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import { parse as parseYaml } from "yaml";
import { generateSchemas, type JsonSchema, REGENERATE, SCHEMA_DIR } from "../../scripts/generate-schemas.js";
import { bundleDocumentSchema } from "../../src/policy/bundle-document.js";
import { GATES, RETIRED_GATES } from "../../src/policy/catalog.js";
import { compileBundle } from "../../src/policy/compile-bundle.js";
import { formatJson } from "../../src/report/json-format.js";
import { gatherFacts } from "../../src/service/gather-facts.js";
import { loadBundle } from "../../src/service/load-bundle.js";
import { corpusPath, NO_CORPUS, REPO_ROOT } from "../support/corpus.js";
import { goldenDecisions } from "../support/golden.js";

const ANCHORE = "policies/anchore";
const generated = generateSchemas();

// Strict mode: an unknown keyword or a malformed schema is an error, not a silent pass. Union types
// (`"type": ["string", "number"]`) are plain draft-07, and `oneOf: [{required: [ref]}, …]` names properties
// defined one level up, which strictRequired would flag.
const ajv = new Ajv({ strict: true, allowUnionTypes: true, strictRequired: false, allErrors: true });
const validators = new Map<string, ValidateFunction>();
function validator(file: string): ValidateFunction {
  let validate = validators.get(file);
  if (!validate) {
    const schema = JSON.parse(readFileSync(join(SCHEMA_DIR, file), "utf8")) as JsonSchema;
    try {
      validate = ajv.compile(schema);
    } finally {
      // A schema that failed to compile must not stay registered under its $id for the next test.
      if (!validate) ajv.removeSchema(schema);
    }
    validators.set(file, validate);
  }
  return validate;
}

/** The parts of the generated rule schema the hint test reads. */
interface Branch {
  if: { properties: { gate: { const: string }; trigger?: { const: string } } };
  then: {
    properties: {
      trigger?: { examples?: string[] };
      params?: { items: { properties: { name: { examples: string[] } } } };
    };
  };
}
interface RuleSchema {
  properties: { gate: { examples: string[] } };
  allOf: Branch[];
}

function errorsOf(validate: ValidateFunction): string {
  return (validate.errors ?? []).map((e: ErrorObject) => `${e.instancePath || "/"} ${e.message}`).join("\n");
}

function assertValid(file: string, value: unknown, what: string): void {
  const validate = validator(file);
  assert.ok(validate(value), `${what} does not validate against schemas/${file}:\n${errorsOf(validate)}`);
}

for (const [file, schema] of Object.entries(generated)) {
  test(`schemas/${file} is up to date with the zod schema it is generated from`, () => {
    let committed: unknown;
    try {
      committed = JSON.parse(readFileSync(join(SCHEMA_DIR, file), "utf8"));
    } catch {
      assert.fail(`schemas/${file} is missing or not JSON: run ${REGENERATE}`);
    }
    assert.deepEqual(committed, schema, `schemas/${file} is stale: run ${REGENERATE}`);
  });

  test(`schemas/${file} is a valid draft-07 schema with an $id, a title and a description`, () => {
    assert.equal(schema.$schema, "http://json-schema.org/draft-07/schema#");
    assert.match(String(schema.$id), /^urn:cipolice:schema:/);
    assert.ok(schema.title && schema.description);
    assert.doesNotThrow(() => validator(file));
  });
}

for (const golden of goldenDecisions()) {
  test(`golden decision ${golden.name}: its JSON output validates against decision-v1.schema.json`, {
    skip: golden.skip,
  }, () => {
    assert.ok(golden.decision);
    assertValid("decision-v1.schema.json", JSON.parse(formatJson(golden.decision)), golden.name);
  });
}

test("decision-v1.schema.json rejects a decision with an unknown field, a bad action or no results", () => {
  const decision = goldenDecisions().find((g) => g.decision)?.decision;
  if (!decision) return;
  const validate = validator("decision-v1.schema.json");
  assert.equal(validate({ ...decision, verdict: "go" }), false);
  assert.equal(validate({ ...decision, finalAction: "STOP" }), false);
  const { results: _results, ...withoutResults } = decision;
  assert.equal(validate(withoutResults), false);
});

test("the shipped default bundle validates against the schema and compiles, and names the schema for editors", () => {
  const text = readFileSync(join(REPO_ROOT, "policies/default-bundle.yaml"), "utf8");
  assert.equal(text.split("\n")[0], "# yaml-language-server: $schema=../schemas/policy-bundle.schema.json");
  assertValid("policy-bundle.schema.json", parseYaml(text), "policies/default-bundle.yaml");
  assert.doesNotThrow(() => loadBundle(text, "policies/default-bundle.yaml"));
});

// The two bundles anchore-engine's own tests call bad, and two more that use retired gates.
const REJECTED_BY_COMPILER_ONLY = [
  "anchore-engine_test_bad_bundle.json", // an invalid action and a missing required parameter
  "anchore-engine_test_bad_policy_id_bundle.json", // a mapping names a policy the bundle does not define
  "anchore-engine_test_empty.json", // a retired gate, and a mapping to an undefined policy
  "anchore-engine_test_trivial_bundle.json", // retired gates
];

test("corpus bundles: accepted ones validate; the bad ones are well-formed, so only the compiler rejects them", {
  skip: NO_CORPUS,
}, () => {
  const validate = validator("policy-bundle.schema.json");
  const files = readdirSync(corpusPath(ANCHORE)).filter((f) => f.endsWith(".json"));
  assert.ok(files.length >= 10, `expected the anchore bundles under ${corpusPath(ANCHORE)}`);
  const rejected: string[] = [];
  for (const file of files.sort()) {
    const document = JSON.parse(readFileSync(corpusPath(`${ANCHORE}/${file}`), "utf8"));
    // Action names, gate names, parameters and cross-references are the compiler's job, not the schema's.
    assert.ok(validate(document), `${file} does not validate:\n${errorsOf(validate)}`);
    if (!compileBundle(document).compiled) rejected.push(file);
  }
  assert.deepEqual(rejected, REJECTED_BY_COMPILER_ONLY);
});

test("the JSON Schema accepts exactly what the zod bundle schema accepts (corpus and edge cases)", {
  skip: NO_CORPUS,
}, () => {
  const validate = validator("policy-bundle.schema.json");
  const base = { id: "b", version: "1_0", policies: [], mappings: [] };
  const rule = (extra: Record<string, unknown>) => ({
    ...base,
    policies: [
      { id: "p", version: "1_0", rules: [{ gate: "always", trigger: "always", action: "go", ...extra }] },
    ],
  });
  const cases: unknown[] = [
    base,
    { id: 7, version: "1_0" },
    { id: "", version: "1_0" },
    { id: "b" },
    { ...base, $schema: "x" },
    { ...base, unknown: 1 },
    { ...base, created_at: 1600000000 },
    rule({}),
    rule({ gate: "" }),
    rule({ gate: "VULNERABILITIES", trigger: "Package", action: "Stop" }),
    rule({ gate: "nosuchgate", trigger: "nosuchtrigger", action: "invalidaction" }),
    rule({ params: [{ name: "max_days_since_sync", value: 7 }] }),
    rule({ params: [{ name: "x", value: true }] }),
    rule({ params: [{ name: "x", value: null }] }),
    rule({ params: [{ name: "", value: "a" }] }),
    rule({ params: [{ name: "x", value: "a", extra: 1 }] }),
    rule({ id: 3, recommendation: "upgrade" }),
    {
      ...base,
      whitelists: [{ id: "w", version: "1_0", items: [{ id: "i", gate: "ALWAYS", trigger_id: "*" }] }],
    },
    { ...base, allowlists: [{ id: "w", version: "1_0", items: [{ id: "i", gate: "always" }] }] },
    {
      ...base,
      mappings: [{ registry: "*", repository: "*", image: { type: "tag", value: "*" }, policy_id: 1 }],
    },
    { ...base, mappings: [{ registry: "*", repository: "*", image: { type: "label", value: "*" } }] },
    { ...base, denied_images: [{ registry: "*", repository: "x", image: { type: "digest", value: "" } }] },
  ];
  for (const file of readdirSync(corpusPath(ANCHORE)).filter((f) => f.endsWith(".json"))) {
    cases.push(JSON.parse(readFileSync(corpusPath(`${ANCHORE}/${file}`), "utf8")));
  }
  for (const [index, document] of cases.entries()) {
    const byZod = bundleDocumentSchema.safeParse(document).success;
    assert.equal(
      validate(document),
      byZod,
      `case ${index}: zod says ${byZod} for ${JSON.stringify(document)}`,
    );
  }
});

test("gate and trigger names are hints (examples), never a restriction; retired gates are not suggested", () => {
  const schema = generated["policy-bundle.schema.json"] as JsonSchema;
  const text = JSON.stringify(schema);
  assert.ok(
    !text.includes('"enum":["always"'),
    "gate names must not be an enum: anchore matches them case-insensitively",
  );
  const path = ["properties", "policies", "items", "properties", "rules", "items"];
  const rules = path.reduce<unknown>((node, key) => (node as JsonSchema)[key], schema) as RuleSchema;
  assert.deepEqual(
    rules.properties.gate.examples,
    GATES.map((g) => g.name),
  );
  for (const retired of RETIRED_GATES) assert.ok(!rules.properties.gate.examples.includes(retired));
  const vulnerabilities = rules.allOf.find(
    (branch) => branch.if.properties.gate.const === "vulnerabilities" && !branch.if.properties.trigger,
  );
  assert.deepEqual(vulnerabilities?.then.properties.trigger?.examples, [
    "package",
    "stale_feed_data",
    "vulnerability_data_unavailable",
    "blacklist",
  ]);
  const packageTrigger = rules.allOf.find(
    (branch) =>
      branch.if.properties.gate.const === "vulnerabilities" &&
      branch.if.properties.trigger?.const === "package",
  );
  assert.ok(packageTrigger?.then.properties.params?.items.properties.name.examples.includes("severity"));
  // Every then-branch only annotates (the type repeats the base's): no validation keyword may hide in it.
  const annotationsOnly = (schema: Record<string, unknown>): boolean =>
    Object.entries(schema).every(([key, value]) => {
      if (key === "items") return annotationsOnly(value as Record<string, unknown>);
      if (key === "properties") {
        return Object.values(value as Record<string, Record<string, unknown>>).every(annotationsOnly);
      }
      return key === "description" || key === "examples" || key === "type";
    });
  assert.equal(annotationsOnly({ properties: { gate: { enum: ["always"] } } }), false);
  for (const branch of rules.allOf) assert.ok(annotationsOnly(branch.then), JSON.stringify(branch.then));
});

test("examples/*.facts.json validate against facts.schema.json and load; webapp names its schema", () => {
  const files = readdirSync(join(REPO_ROOT, "examples")).filter((f) => f.endsWith(".facts.json"));
  assert.ok(files.length >= 2);
  for (const file of files) {
    const text = readFileSync(join(REPO_ROOT, "examples", file), "utf8");
    assertValid("facts.schema.json", JSON.parse(text), `examples/${file}`);
    assert.doesNotThrow(() => gatherFacts({ facts: { text, source: file }, reports: [], vex: [] }));
  }
  const webapp = JSON.parse(readFileSync(join(REPO_ROOT, "examples/webapp.facts.json"), "utf8"));
  assert.equal(webapp.$schema, "../schemas/facts.schema.json");
});

test("facts.schema.json takes the reference as `ref` or as the `image` shorthand, exactly one, like the loader", () => {
  const validate = validator("facts.schema.json");
  const ref = { registry: "docker.io", repository: "library/nginx", tag: "1.25" };
  const cases: [unknown, boolean][] = [
    [{ ref }, true],
    [{ image: "nginx:1.25" }, true],
    [{ image: "nginx:1.25", ref }, false],
    [{}, false],
    [{ image: 3 }, false],
    [{ ref, vulnerabilities: [{ id: "CVE-1" }] }, false],
    [{ ref, extra: true }, false],
  ];
  for (const [document, valid] of cases) {
    assert.equal(validate(document), valid, JSON.stringify(document));
    const loads = (() => {
      try {
        gatherFacts({ facts: { text: JSON.stringify(document), source: "case" }, reports: [], vex: [] });
        return true;
      } catch {
        return false;
      }
    })();
    assert.equal(loads, valid, `the loader disagrees on ${JSON.stringify(document)}`);
  }
});
