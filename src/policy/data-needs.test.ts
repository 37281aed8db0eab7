import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { parse } from "yaml";
import { REPO_ROOT, readCorpusJson, skipWithoutCorpus } from "../../test/support/corpus.js";
import type { ImageFacts, ImageRef } from "../model/index.js";
import { GATES, triggerNeeds } from "./catalog.js";
import { type CompiledBundle, compileBundle } from "./compile-bundle.js";
import { type DataKind, dataNeeds } from "./data-needs.js";
import { evaluate } from "./evaluate.js";
import type { DataNeed } from "./gate-types.js";
import { TriggerParams } from "./trigger-params.js";

const NEEDS: readonly DataNeed[] = ["reference", "digest", "config", "reports", "signatures"];
const NOW = new Date("2026-11-01T00:00:00Z");
const TAGGED: ImageRef = { registry: "registry.example", repository: "team/app", tag: "1.2.3" };
const DIGEST = `sha256:${"a".repeat(64)}`;
const PINNED: ImageRef = { ...TAGGED, digest: DIGEST };

type Rule = { gate: string; trigger: string; params?: Record<string, string>; action?: string };
type MappingDoc = Record<string, unknown> & { policy_ids: string[] };

/** Compiles a bundle of the given policies (id -> rules) and mappings; one catch-all mapping by default. */
function bundle(
  policies: Record<string, Rule[]>,
  mappings: MappingDoc[] = [{ policy_ids: Object.keys(policies) }],
  extra: Record<string, unknown> = {},
): CompiledBundle {
  const document = {
    id: "test",
    version: "1_0",
    policies: Object.entries(policies).map(([id, rules]) => ({
      id,
      version: "1_0",
      rules: rules.map((r, i) => ({
        id: `${id}-${i}`,
        gate: r.gate,
        trigger: r.trigger,
        action: r.action ?? "STOP",
        params: Object.entries(r.params ?? {}).map(([name, value]) => ({ name, value })),
      })),
    })),
    mappings: mappings.map((m) => ({
      registry: "*",
      repository: "*",
      image: { type: "tag", value: "*" },
      ...m,
    })),
    ...extra,
  };
  const { compiled, problems } = compileBundle(document);
  assert.ok(compiled, problems.map((p) => p.message).join("\n"));
  return compiled;
}

function kinds(compiled: CompiledBundle, image: ImageRef = TAGGED, context = {}): DataKind[] {
  return [...dataNeeds(compiled, image, context).kinds].sort();
}

const NAMING: Rule[] = [
  { gate: "image_source", trigger: "registry_not_allowed", params: { registries: "registry.example" } },
  { gate: "image_source", trigger: "registry_denied", params: { registries: "docker.io" } },
  { gate: "image_source", trigger: "tag_latest" },
  { gate: "image_source", trigger: "digest_required", action: "WARN" },
  { gate: "image_source", trigger: "repository_name", params: { pattern: "team/[a-z-]+" } },
];
const CRITICAL: Rule[] = [
  { gate: "vulnerabilities", trigger: "package", params: { package_type: "all", severity: "critical" } },
];

function cel(expression: string, extra: Record<string, string> = {}): CompiledBundle {
  return bundle({ p: [{ gate: "expression", trigger: "condition", params: { expression, ...extra } }] });
}

test("every gate declares what it reads, and every trigger resolves to known kinds", () => {
  const empty = new TriggerParams(new Map(), new Map());
  for (const gate of GATES) {
    assert.ok(Array.isArray(gate.needs), `gate ${gate.name} declares no needs`);
    for (const trigger of gate.triggers) {
      const needs = triggerNeeds(gate, trigger, empty);
      assert.ok(Array.isArray(needs), `${gate.name}/${trigger.name} declares no needs`);
      for (const need of needs) assert.ok(NEEDS.includes(need), `${gate.name}/${trigger.name}: ${need}`);
      // Only `always` reads nothing; a gate that forgets says [] and would be decided without its data.
      if (gate.name !== "always") assert.ok(needs.length > 0, `${gate.name}/${trigger.name} reads nothing?`);
    }
  }
  const byName = new Map(GATES.map((g) => [g.name, g]));
  assert.deepEqual(byName.get("always")?.needs, []);
  assert.deepEqual(byName.get("image_source")?.needs, ["reference"]);
});

test("the shipped default bundle needs the registry config and the scanner reports", () => {
  const text = readFileSync(`${REPO_ROOT}/policies/default-bundle.yaml`, "utf8");
  const { compiled } = compileBundle(parse(text));
  assert.ok(compiled);
  const result = dataNeeds(compiled, TAGGED, { namespace: "prod" });
  assert.deepEqual([...result.kinds].sort(), ["config", "reference", "reports"]);
  assert.equal(result.mappingId, "all-images");
  assert.equal(result.mappingIndex, 0);
});

test("a bundle of image source and naming rules needs only the reference, pinned or not", () => {
  const compiled = bundle({ naming: NAMING });
  assert.deepEqual(kinds(compiled), ["reference"]);
  assert.deepEqual(kinds(compiled, PINNED), ["reference"]);
  assert.deepEqual(kinds(compiled, { registry: "docker.io", repository: "library/nginx" }), ["reference"]);
});

test("a reference-only bundle decides the same with only the reference as with every fact", () => {
  const compiled = bundle({ naming: NAMING });
  const full: ImageFacts = {
    ref: { registry: "docker.io", repository: "library/nginx", tag: "latest" },
    digest: DIGEST,
    config: { user: "root" },
    layers: [{ digest: DIGEST, size: 10 }],
    vulnerabilities: [],
    packages: [{ name: "openssl", version: "3.0.0", type: "apk" }],
  };
  const options = { now: NOW, imageRef: "docker.io/library/nginx:latest", decisionId: "d" };
  const fromReference = evaluate(compiled, { ref: full.ref }, options);
  const fromEverything = evaluate(compiled, full, options);
  assert.equal(fromReference.finalAction, "stop");
  assert.deepEqual(
    fromReference.results.map((r) => r.triggerId),
    fromEverything.results.map((r) => r.triggerId),
  );
});

test("the always gate reads nothing beyond the reference mapping selection reads", () => {
  assert.deepEqual(kinds(bundle({ p: [{ gate: "always", trigger: "always" }] })), ["reference"]);
});

test("a CEL rule reads what its variables read", () => {
  assert.deepEqual(kinds(cel('image.tag == "latest" || image.repository.startsWith("tmp/")')), ["reference"]);
  assert.deepEqual(kinds(cel('context.namespace == "prod" && image.registry != "docker.io"')), ["reference"]);
  assert.deepEqual(kinds(cel('vulnerabilities.exists(v, v.severity == "critical")')), [
    "reference",
    "reports",
  ]);
  assert.deepEqual(kinds(cel('"org.opencontainers.image.source" in config.labels')), ["config", "reference"]);
  assert.deepEqual(kinds(cel("size > 1000 && layerCount < 5")), ["config", "reference"]);
  assert.deepEqual(kinds(cel('distro.name == "debian"')), ["reference", "reports"]);
  assert.deepEqual(kinds(cel('image.id != ""')), ["config", "reference"]);
});

test("a CEL rule's message placeholders and for_each count too", () => {
  assert.deepEqual(kinds(cel('image.tag == "dev"', { message: "{{ image.tag }} on {{ distro.name }}" })), [
    "reference",
    "reports",
  ]);
  assert.deepEqual(kinds(cel('vuln.severity == "critical"', { for_each: "vulnerabilities" })), [
    "reference",
    "reports",
  ]);
  // Iterating packages reads the packages even when the condition reads only the tag.
  assert.deepEqual(kinds(cel('image.tag == "x"', { for_each: "packages" })), ["reference", "reports"]);
});

test("a variable bound in the expression is not mistaken for the image's data", () => {
  assert.deepEqual(kinds(cel('["a", "b"].exists(x, x == image.tag)')), ["reference"]);
  assert.deepEqual(kinds(cel('cel.bind(t, image.tag, t == "latest")')), ["reference"]);
  // `image` passed whole may be read field by field: every field counts, the image id included.
  assert.deepEqual(kinds(cel('cel.bind(i, image, i.tag == "x")')), ["config", "reference"]);
});

test("image.digest is the reference when it pins one, a registry read when it does not", () => {
  const compiled = cel('image.digest.startsWith("sha256:")');
  assert.deepEqual(kinds(compiled, PINNED), ["reference"]);
  assert.deepEqual(kinds(compiled, TAGGED), ["config", "reference"]);
});

test("a metadata rule reads the config or the reports, as its attribute says", () => {
  const size = bundle({
    p: [{ gate: "metadata", trigger: "attribute", params: { attribute: "size", check: ">", value: "1gb" } }],
  });
  const distro = bundle({
    p: [
      {
        gate: "metadata",
        trigger: "attribute",
        params: { attribute: "distro", check: "=", value: "debian" },
      },
    ],
  });
  assert.deepEqual(kinds(size), ["config", "reference"]);
  assert.deepEqual(kinds(distro), ["reference", "reports"]);
});

test("mappings selecting different policies per namespace give different needs", () => {
  const compiled = bundle({ naming: NAMING, vulns: CRITICAL }, [
    { id: "production", namespaces: ["prod", "prod-*"], policy_ids: ["naming", "vulns"] },
    { id: "dev", namespaces: ["dev"], policy_ids: ["naming"] },
  ]);
  const prod = dataNeeds(compiled, TAGGED, { namespace: "prod-eu" });
  assert.deepEqual([...prod.kinds].sort(), ["reference", "reports"]);
  assert.equal(prod.mappingId, "production");
  const dev = dataNeeds(compiled, TAGGED, { namespace: "dev" });
  assert.deepEqual([...dev.kinds], ["reference"]);
  assert.equal(dev.mappingId, "dev");
  // Outside any namespace (a CI run) no mapping selects the image: nothing is evaluated, nothing to gather.
  const none = dataNeeds(compiled, TAGGED);
  assert.deepEqual([...none.kinds], ["reference"]);
  assert.equal(none.mappingId, undefined);
});

test("a digest mapping ahead of the selected one needs the digest an unpinned reference lacks", () => {
  const compiled = bundle({ naming: NAMING, vulns: CRITICAL }, [
    { id: "pinned", image: { type: "digest", value: DIGEST }, policy_ids: ["vulns"] },
    { id: "rest", policy_ids: ["naming"] },
  ]);
  // Unpinned: it may be that digest, so the digest is read and both mappings' needs count; the mapping is open.
  const unpinned = dataNeeds(compiled, TAGGED);
  assert.deepEqual([...unpinned.kinds].sort(), ["config", "reference", "reports"]);
  assert.equal(unpinned.mappingId, undefined);
  // Pinned to that digest, or to another one: the reference decides.
  const selected = dataNeeds(compiled, PINNED);
  assert.equal(selected.mappingId, "pinned");
  assert.deepEqual([...selected.kinds].sort(), ["reference", "reports"]);
  const other = dataNeeds(compiled, { ...TAGGED, digest: `sha256:${"b".repeat(64)}` });
  assert.equal(other.mappingId, "rest");
  assert.deepEqual([...other.kinds], ["reference"]);
  // A digest mapping of another repository never selects this image.
  const elsewhere = bundle({ naming: NAMING, vulns: CRITICAL }, [
    { repository: "other/*", image: { type: "digest", value: DIGEST }, policy_ids: ["vulns"] },
    { id: "rest", policy_ids: ["naming"] },
  ]);
  assert.deepEqual(kinds(elsewhere), ["reference"]);
});

test("denied and allowed images read the reference, or the digest or image id they name", () => {
  const byTag = bundle({ naming: NAMING }, undefined, {
    blacklisted_images: [{ registry: "*", repository: "team/app", image: { type: "tag", value: "old-*" } }],
  });
  assert.deepEqual(kinds(byTag), ["reference"]);
  const byDigest = bundle({ naming: NAMING }, undefined, {
    denied_images: [{ registry: "*", repository: "team/app", image: { type: "digest", value: DIGEST } }],
  });
  assert.deepEqual(kinds(byDigest, TAGGED), ["config", "reference"]);
  assert.deepEqual(kinds(byDigest, PINNED), ["reference"]);
  const byId = bundle({ naming: NAMING }, undefined, {
    allowed_images: [{ registry: "*", repository: "*", image: { type: "id", value: "b".repeat(64) } }],
  });
  assert.deepEqual(kinds(byId, PINNED), ["config", "reference"]);
});

test("every rule of anchore's all-rules bundle gets its needs", {
  skip: skipWithoutCorpus("policies/anchore/anchore-engine_bundle-with-all-rules-2020-08-20.json"),
}, () => {
  const { compiled } = compileBundle(
    readCorpusJson("policies/anchore/anchore-engine_bundle-with-all-rules-2020-08-20.json"),
  );
  assert.ok(compiled);
  for (const policy of compiled.policies.values()) {
    for (const { rules } of policy.gateGroups) {
      for (const rule of rules) for (const need of rule.needs) assert.ok(NEEDS.includes(need));
    }
  }
  assert.ok(compiled.mappingNeeds.every((needs) => needs.has("reports")));
});

test("signature and attestation rules need the signatures beside the image, and nothing else", () => {
  const signed = bundle({
    p: [
      { gate: "signature", trigger: "missing", params: {} },
      { gate: "attestation", trigger: "verification_summary", params: { max_age_days: "7" } },
    ],
  });
  assert.deepEqual(kinds(signed), ["reference", "signatures"]);
});
