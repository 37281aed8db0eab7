import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { parse } from "yaml";
import { REPO_ROOT, readCorpusJson, skipWithoutCorpus } from "../../test/support/corpus.js";
import { compileBundle } from "./compile-bundle.js";

const ANCHORE = "policies/anchore";
const VALID = [
  "anchore-engine_default_bundle.json",
  "anchore-engine_test_multi_default.json",
  "anchore-engine_test_multi_policy.json",
  "anchore-engine_bundle-large_whitelist.json",
  "anchore-engine_bundle-with-all-rules-2020-08-20.json",
  "modular-policy_ironbank_v5.2.4_bundle.json",
  "modular-policy_nist800-190_bundle.json",
];

for (const file of VALID) {
  test(`corpus bundle ${file} validates in strict mode`, {
    skip: skipWithoutCorpus(`${ANCHORE}/${file}`),
  }, () => {
    const { compiled, problems } = compileBundle(readCorpusJson(`${ANCHORE}/${file}`));
    assert.deepEqual(
      problems.filter((p) => p.level === "error").map((p) => p.message),
      [],
    );
    assert.ok(compiled);
  });
}

test("bundle-with-all-rules: all 38 rules compile", {
  skip: skipWithoutCorpus(`${ANCHORE}/anchore-engine_bundle-with-all-rules-2020-08-20.json`),
}, () => {
  const { compiled } = compileBundle(
    readCorpusJson(`${ANCHORE}/anchore-engine_bundle-with-all-rules-2020-08-20.json`),
  );
  const policy = compiled?.policies.get("c7e5db05-bc03-4d22-bd4f-d042120ecbf6");
  assert.ok(policy);
  assert.equal(
    policy.gateGroups.reduce((n, g) => n + g.rules.length, 0),
    38,
  );
  // Gates run in the order they first appear in the policy, as anchore-engine groups them.
  assert.deepEqual(
    policy.gateGroups.map((g) => g.gate.name),
    [
      "dockerfile",
      "files",
      "licenses",
      "malware",
      "metadata",
      "npms",
      "packages",
      "passwd_file",
      "retrieved_files",
      "ruby_gems",
      "vulnerabilities",
      "secret_scans",
    ],
  );
});

test("test_bad_bundle is rejected, naming the rule with the invalid action and the missing parameters", {
  skip: skipWithoutCorpus(`${ANCHORE}/anchore-engine_test_bad_bundle.json`),
}, () => {
  const { compiled, problems } = compileBundle(
    readCorpusJson(`${ANCHORE}/anchore-engine_test_bad_bundle.json`),
  );
  assert.equal(compiled, undefined);
  const messages = problems.map((p) => p.message);
  assert.ok(
    messages.some((m) =>
      /rule #1 \(dockerfile\/instruction\): action "invalidaction" is not valid \(expected STOP, WARN or GO\)/.test(
        m,
      ),
    ),
    messages.join("\n"),
  );
  assert.ok(
    messages.some((m) =>
      /rule #2 \(dockerfile\/instruction\): required parameter "instruction" is missing/.test(m),
    ),
  );
  assert.ok(
    messages.some((m) =>
      /rule #2 \(dockerfile\/instruction\): required parameter "check" is missing/.test(m),
    ),
  );
  assert.ok(problems.every((p) => p.policyId === "7dcbe180-2914-4723-89d4-20b6657f66eb"));
});

test("test_bad_policy_id_bundle is rejected, naming the missing policy", {
  skip: skipWithoutCorpus(`${ANCHORE}/anchore-engine_test_bad_policy_id_bundle.json`),
}, () => {
  const { compiled, problems } = compileBundle(
    readCorpusJson(`${ANCHORE}/anchore-engine_test_bad_policy_id_bundle.json`),
  );
  assert.equal(compiled, undefined);
  assert.equal(problems.length, 1);
  assert.match(
    problems[0]?.message ?? "",
    /mapping "default" names policy "notarealid", which the bundle does not define \(defined: "7dcbe180-2914-4723-89d4-20b6657f66eb"\)/,
  );
  assert.equal(problems[0]?.policyId, "notarealid");
});

test("test_trivial and test_empty use retired gates and map to undefined policies: rejected", {
  skip: skipWithoutCorpus(`${ANCHORE}/anchore-engine_test_trivial_bundle.json`),
}, () => {
  const trivial = compileBundle(readCorpusJson(`${ANCHORE}/anchore-engine_test_trivial_bundle.json`));
  assert.equal(trivial.compiled, undefined);
  const retired = trivial.problems
    .filter((p) => p.code === "CIP_GATE_RETIRED")
    .map((p) => p.gate?.toLowerCase());
  assert.deepEqual(retired.sort(), ["anchoresec", "dockerfilecheck", "filecheck", "pkgcheck"]);
  assert.ok(trivial.problems.some((p) => /names policy "trivial"/.test(p.message)));
  // Outside strict mode the retired gates are only warnings, but the missing policy still fails.
  const lax = compileBundle(readCorpusJson(`${ANCHORE}/anchore-engine_test_empty.json`), { strict: false });
  assert.equal(lax.compiled, undefined);
  assert.ok(lax.problems.some((p) => p.level === "warning" && p.code === "CIP_GATE_RETIRED"));
  assert.ok(lax.problems.some((p) => p.level === "error" && /names policy "empty"/.test(p.message)));
});

test("the shipped default bundle validates", () => {
  const doc = parse(readFileSync(`${REPO_ROOT}/policies/default-bundle.yaml`, "utf8"));
  const { compiled, problems } = compileBundle(doc);
  assert.deepEqual(problems, []);
  assert.ok(compiled);
});

test("every problem of a bad bundle is reported at once, with its location", () => {
  const { problems } = compileBundle({
    id: "x",
    version: "1_0",
    policies: [
      {
        id: "p",
        version: "1_0",
        rules: [
          { id: "r1", gate: "nosuchgate", trigger: "t", action: "STOP", params: [] },
          { id: "r2", gate: "vulnerabilities", trigger: "nosuchtrigger", action: "STOP", params: [] },
          {
            id: "r3",
            gate: "vulnerabilities",
            trigger: "package",
            action: "STOP",
            params: [
              { name: "package_type", value: "all" },
              { name: "severity", value: "extreme" },
              { name: "bogus", value: "1" },
            ],
          },
          {
            id: "r4",
            gate: "dockerfile",
            trigger: "exposed_ports",
            action: "halt",
            params: [
              { name: "ports", value: "22" },
              { name: "type", value: "blacklist" },
            ],
          },
        ],
      },
      { id: "p", version: "2_0", rules: [] },
    ],
    whitelists: [],
    mappings: [
      {
        registry: "*",
        repository: "*",
        image: { type: "tag", value: "*" },
        policy_ids: ["p", "q"],
        whitelist_ids: ["w"],
      },
    ],
  });
  const lines = problems.map((p) => `${p.path}: ${p.message}`);
  const expect = [
    /policies\[0\]\.rules\[0\]\.gate: .*rule "r1" \(nosuchgate\/t\): unknown gate "nosuchgate" \(known gates: always, dockerfile/,
    /policies\[0\]\.rules\[1\]\.trigger: .*unknown trigger "nosuchtrigger" for gate vulnerabilities \(known: .*package/,
    /policies\[0\]\.rules\[2\]\.params\[1\]: .*parameter "severity" has value "extreme": expected one of unknown, negligible/,
    /policies\[0\]\.rules\[2\]\.params\[2\]: .*unknown parameter "bogus" for vulnerabilities\/package/,
    /policies\[0\]\.rules\[3\]\.action: .*action "halt" is not valid/,
    /policies\[1\]\.id: policy id "p" is used more than once/,
    /policies\[1\]\.version: policy "p" has version "2_0"; only "1_0" is supported/,
    /mappings\[0\]: mapping \(no id\) names policy "q"/,
    /mappings\[0\]: mapping \(no id\) names allowlist "w"/,
  ];
  for (const re of expect)
    assert.ok(
      lines.some((l) => re.test(l)),
      `${re} not in:\n${lines.join("\n")}`,
    );
  assert.equal(problems.length, expect.length, lines.join("\n"));
});

test("structural problems name the path, and the policy and rule ids where known", () => {
  const { problems } = compileBundle({
    id: "x",
    version: "1_0",
    policies: [
      {
        id: "p1",
        version: "1_0",
        rules: [{ id: "r1", gate: "always", trigger: "always", action: 3, params: [] }],
      },
    ],
    mappings: [],
    colour: "blue",
  });
  const lines = problems.map((p) => p.message);
  assert.ok(lines.includes('document: unknown field "colour"'), lines.join("\n"));
  assert.ok(
    lines.includes('policies[0].rules[0].action (policy "p1" rule "r1"): expected string, got number'),
    lines.join("\n"),
  );
});

test("anchore aliases and CIPolicE aliases load to the same bundle", () => {
  const base = { id: "b", version: "1_0", policies: [{ id: "p", version: "1_0", rules: [] }] };
  const list = [{ id: "w", version: "1_0", items: [{ id: "i", gate: "always", trigger_id: "always" }] }];
  const rule = [{ registry: "*", repository: "x", image: { type: "tag", value: "*" } }];
  const anchore = compileBundle({
    ...base,
    whitelists: list,
    whitelisted_images: rule,
    blacklisted_images: rule,
    mappings: [
      {
        registry: "*",
        repository: "*",
        image: { type: "tag", value: "*" },
        policy_id: "p",
        whitelist_ids: ["w"],
      },
    ],
  });
  const native = compileBundle({
    ...base,
    allowlists: list,
    allowed_images: rule,
    denied_images: rule,
    mappings: [
      {
        registry: "*",
        repository: "*",
        image: { type: "tag", value: "*" },
        policy_ids: ["p"],
        allowlist_ids: ["w"],
      },
    ],
  });
  assert.deepEqual(anchore.compiled?.bundle, native.compiled?.bundle);
  assert.equal(anchore.compiled?.digest, native.compiled?.digest);
});

test("invalid regexp: patterns in mappings, image lists and allowlist scopes are rejected before evaluation", () => {
  const { compiled, problems } = compileBundle({
    id: "b",
    version: "1_0",
    policies: [{ id: "p", version: "1_0", rules: [] }],
    whitelists: [
      {
        id: "w",
        version: "1_0",
        items: [{ id: "i", gate: "always", trigger_id: "always", scope: { images: ["regexp:("] } }],
      },
    ],
    mappings: [
      {
        registry: "regexp:(",
        repository: "*",
        image: { type: "tag", value: "*" },
        policy_id: "p",
        namespaces: ["regexp:["],
      },
    ],
    blacklisted_images: [{ registry: "*", repository: "regexp:+", image: { type: "tag", value: "*" } }],
  });
  assert.equal(compiled, undefined);
  assert.deepEqual(
    problems.map((p) => p.path),
    [
      "mappings[0].registry",
      "mappings[0].namespaces[0]",
      "blacklisted_images[0].repository",
      "whitelists[0].items[0].scope.images[0]",
    ],
  );
  assert.match(problems[0]?.message ?? "", /pattern "regexp:\(" is not a valid regular expression/);
});

test("a bad pattern in namespace_labels or annotations is a problem naming its path", () => {
  const { compiled, problems } = compileBundle({
    id: "b",
    version: "1_0",
    policies: [{ id: "p", version: "1_0", rules: [] }],
    whitelists: [
      {
        id: "w",
        version: "1_0",
        items: [
          { id: "i", gate: "always", trigger_id: "always", scope: { annotations: { "a.io/x": "regexp:(" } } },
        ],
      },
    ],
    mappings: [
      {
        registry: "*",
        repository: "*",
        image: { type: "tag", value: "*" },
        policy_id: "p",
        namespace_labels: { tier: "regexp:[", team: "pay*" },
      },
    ],
  });
  assert.equal(compiled, undefined);
  assert.deepEqual(
    problems.map((p) => [p.code, p.path]),
    [
      ["CIP_REGEX_UNSUPPORTED", "mappings[0].namespace_labels.tier"],
      ["CIP_REGEX_UNSUPPORTED", "whitelists[0].items[0].scope.annotations.a.io/x"],
    ],
  );
  assert.match(
    problems[0]?.message ?? "",
    /mapping .*: pattern "regexp:\[" is not a valid regular expression/,
  );
});

test("the label and annotation keys selectors read are collected; a bundle without them has none", () => {
  const base = {
    id: "b",
    version: "1_0",
    policies: [{ id: "p", version: "1_0", rules: [] }],
  };
  const any = { registry: "*", repository: "*", image: { type: "tag", value: "*" }, policy_id: "p" };
  const plain = compileBundle({ ...base, mappings: [any] });
  assert.deepEqual(plain.compiled?.selectorKeys, { namespaceLabels: [], annotations: [] });
  const { compiled } = compileBundle({
    ...base,
    whitelists: [
      {
        id: "w",
        version: "1_0",
        items: [
          { id: "i", gate: "always", trigger_id: "always", scope: { namespace_labels: { env: "dev" } } },
        ],
      },
    ],
    mappings: [
      { ...any, namespace_labels: { tier: "prod*" }, whitelist_ids: ["w"] },
      { ...any, annotations: { "cipolice.io/profile": "strict" } },
    ],
  });
  assert.deepEqual(compiled?.selectorKeys, {
    namespaceLabels: ["env", "tier"],
    annotations: ["cipolice.io/profile"],
  });
  assert.deepEqual(compiled?.bundle.mappings[0]?.namespaceLabels, { tier: "prod*" });
  assert.deepEqual(compiled?.bundle.allowlists[0]?.items[0]?.scope, { namespaceLabels: { env: "dev" } });
  // Bundles without the new keys keep their digest: nothing is added to the normalised bundle
  assert.equal(JSON.stringify(plain.compiled?.bundle).includes("namespaceLabels"), false);
});
