import assert from "node:assert/strict";
import { test } from "node:test";
import { factsFor, TEST_NOW } from "../../test/support/gates.js";
import type { DecisionV1, ImageFacts } from "../model/index.js";
import { compileBundle } from "./compile-bundle.js";
import { evaluate } from "./evaluate.js";

type Doc = Record<string, unknown>;

/** A bundle with one policy per entry of `policies` (rules given as [gate, trigger, action, params?]). */
function bundle(
  policies: Record<string, [string, string, string, Record<string, string>?][]>,
  extra: Doc = {},
): Doc {
  return {
    id: "b1",
    version: "1_0",
    policies: Object.entries(policies).map(([id, rules]) => ({
      id,
      version: "1_0",
      rules: rules.map(([gate, trigger, action, params = {}], i) => ({
        id: `${id}-r${i}`,
        gate,
        trigger,
        action,
        params: Object.entries(params).map(([name, value]) => ({ name, value })),
      })),
    })),
    whitelists: [],
    mappings: [
      {
        name: "all",
        registry: "*",
        repository: "*",
        image: { type: "tag", value: "*" },
        policy_ids: Object.keys(policies),
        whitelist_ids: [],
      },
    ],
    ...extra,
  };
}

function decide(doc: Doc, facts: ImageFacts = factsFor(), now = TEST_NOW): DecisionV1 {
  const { compiled, problems } = compileBundle(doc);
  assert.ok(compiled, `bundle should compile: ${problems.map((p) => p.message).join("; ")}`);
  return evaluate(compiled, facts, { now, imageRef: "docker.io/library/test:1.0" });
}

const allowAlways = (items: Doc[]): Doc[] => [{ id: "wl", name: "Exceptions", version: "1_0", items }];

test("a STOP hit fails the image; WARN alone passes; no hit goes", () => {
  assert.deepEqual(pick(decide(bundle({ p: [["always", "always", "STOP"]] }))), [
    "stop",
    "fail",
    "policy_evaluation",
  ]);
  assert.deepEqual(pick(decide(bundle({ p: [["always", "always", "warn"]] }))), [
    "warn",
    "pass",
    "policy_evaluation",
  ]);
  assert.deepEqual(pick(decide(bundle({ p: [] }))), ["go", "pass", "policy_evaluation"]);
});

test("several policies in a mapping: the worst action wins", () => {
  const d = decide(
    bundle({
      a: [["always", "always", "WARN"]],
      b: [["always", "always", "STOP"]],
      c: [["always", "always", "GO"]],
    }),
  );
  assert.equal(d.finalAction, "stop");
  assert.deepEqual(
    d.results.map((r) => [r.policyId, r.action]),
    [
      ["a", "warn"],
      ["b", "stop"],
      ["c", "go"],
    ],
  );
});

test("no mapping selects the image: go, with a note saying nothing was evaluated", () => {
  const doc = bundle({ p: [["always", "always", "STOP"]] });
  doc.mappings = [
    { registry: "quay.io", repository: "*", image: { type: "tag", value: "*" }, policy_id: "p" },
  ];
  const d = decide(doc);
  assert.deepEqual(pick(d), ["go", "pass", "no_mapping"]);
  assert.equal(d.mapping, null);
  assert.match(
    d.problems.map((p) => p.message).join("\n"),
    /no mapping .* selects docker\.io\/library\/test:1\.0/,
  );
});

test("an allowlisted hit stays in the decision, marked, and no longer counts", () => {
  const doc = bundle(
    { p: [["always", "always", "STOP"]] },
    {
      whitelists: allowAlways([
        { id: "i1", gate: "ALWAYS", trigger_id: "always", reason: "accepted", owner: "sec" },
      ]),
    },
  );
  useAllowlist(doc);
  const d = decide(doc);
  assert.deepEqual(pick(d), ["go", "pass", "policy_evaluation"]);
  assert.equal(d.results.length, 1);
  assert.deepEqual(d.results[0]?.allowlisted, {
    allowlistId: "wl",
    allowlistName: "Exceptions",
    itemId: "i1",
    pattern: "always",
    reason: "accepted",
    owner: "sec",
  });
  assert.equal(d.results[0]?.action, "stop");
  assert.equal(d.results[0]?.effectiveAction, "go");
});

test("allowlist patterns: * wildcards and regexp:, anchored like anchore-engine", () => {
  const cases: [string, boolean][] = [
    ["alw*", true],
    ["*ways", true],
    ["*", true],
    ["alway", false],
    ["lways", false],
    ["regexp:al.*s", true],
    ["regexp:(?i)ALWAYS", true],
    ["regexp:ways", false],
  ];
  for (const [pattern, suppressed] of cases) {
    const doc = bundle(
      { p: [["always", "always", "STOP"]] },
      { whitelists: allowAlways([{ id: "i", gate: "always", trigger_id: pattern }]) },
    );
    useAllowlist(doc);
    assert.equal(decide(doc).finalAction, suppressed ? "go" : "stop", `pattern ${pattern}`);
  }
});

test("an expired allowlist item is ignored and the decision says so; one expiring soon warns", () => {
  const items = (expires: string) =>
    allowAlways([{ id: "i1", gate: "always", trigger_id: "always", expires_on: expires }]);
  const expired = bundle(
    { p: [["always", "always", "STOP"]] },
    { whitelists: items("2026-10-01T00:00:00Z") },
  );
  useAllowlist(expired);
  const d1 = decide(expired);
  assert.equal(d1.finalAction, "stop");
  assert.equal(d1.results[0]?.allowlisted, undefined);
  assert.ok(
    d1.problems.some(
      (p) => p.code === "CIP_ALLOWLIST_EXPIRED" && /expired on 2026-10-01T00:00:00Z/.test(p.message),
    ),
  );

  const soon = bundle({ p: [["always", "always", "STOP"]] }, { whitelists: items("2026-11-05T00:00:00Z") });
  useAllowlist(soon);
  const d2 = decide(soon);
  assert.equal(d2.finalAction, "go");
  assert.ok(d2.problems.some((p) => p.code === "CIP_ALLOWLIST_EXPIRING" && /in 4 days/.test(p.message)));
});

test("a bare date in expires_on is rejected, as anchore-engine does", () => {
  const doc = bundle(
    { p: [] },
    {
      whitelists: allowAlways([{ id: "i1", gate: "always", trigger_id: "always", expires_on: "2020-10-15" }]),
    },
  );
  const { compiled, problems } = compileBundle(doc);
  assert.equal(compiled, undefined);
  assert.match(
    problems[0]?.message ?? "",
    /allowlist "wl" item "i1": expires_on "2020-10-15" is not an RFC 3339 date-time/,
  );
});

test("allowlist scope limits an item to namespaces and image patterns", () => {
  const doc = bundle(
    { p: [["always", "always", "STOP"]] },
    {
      whitelists: allowAlways([
        {
          id: "i1",
          gate: "always",
          trigger_id: "always",
          scope: { namespaces: ["team-*"], images: ["docker.io/library/*"] },
        },
      ]),
    },
  );
  useAllowlist(doc);
  assert.equal(decide(doc, factsFor({ context: { namespace: "team-a" } })).finalAction, "go");
  assert.equal(decide(doc, factsFor({ context: { namespace: "prod" } })).finalAction, "stop");
  assert.equal(
    decide(doc, factsFor()).finalAction,
    "stop",
    "no namespace known: a namespace-scoped item does not apply",
  );
});

test("denied images stop even when allowed and when the policy passes; the rule rows are still shown", () => {
  const rule = { registry: "docker.io", repository: "library/test", image: { type: "tag", value: "1.*" } };
  const both = bundle(
    { p: [["always", "always", "WARN"]] },
    { whitelisted_images: [{ ...rule, name: "ok" }], blacklisted_images: [{ ...rule, name: "bad" }] },
  );
  const d = decide(both);
  assert.deepEqual(pick(d), ["stop", "fail", "denylisted"]);
  assert.equal(d.policyAction, "warn");
  assert.equal(d.deniedImage?.name, "bad");
  assert.equal(d.results.length, 1);

  const allowedOnly = bundle(
    { p: [["always", "always", "STOP"]] },
    { allowed_images: [{ ...rule, name: "ok" }] },
  );
  const d2 = decide(allowedOnly);
  assert.deepEqual(pick(d2), ["go", "pass", "allowlisted"]);
  assert.equal(d2.policyAction, "stop");
});

test("mappings select by namespace and environment; the first match wins", () => {
  const doc = bundle({ strict: [["always", "always", "STOP"]], lax: [["always", "always", "WARN"]] });
  doc.mappings = [
    {
      name: "prod",
      registry: "*",
      repository: "*",
      image: { type: "tag", value: "*" },
      policy_id: "strict",
      namespaces: ["prod-*"],
    },
    { name: "rest", registry: "*", repository: "*", image: { type: "tag", value: "*" }, policy_id: "lax" },
  ];
  assert.equal(decide(doc, factsFor({ context: { namespace: "prod-eu" } })).finalAction, "stop");
  assert.equal(decide(doc, factsFor({ context: { namespace: "dev" } })).mapping?.name, "rest");
});

test("a trigger that throws becomes an error row with action warn, never a crash", () => {
  const facts = factsFor({ files: [{ path: "/etc/ssl/cert.pem", mode: 0o100644 }] });
  const d = decide(bundle({ p: [["files", "name_match", "STOP", { regex: "*\\.pem" }]] }), facts);
  assert.equal(d.results.length, 1);
  assert.equal(d.results[0]?.status, "error");
  assert.equal(d.results[0]?.effectiveAction, "warn");
  assert.equal(d.finalAction, "warn");
  assert.match(
    d.results[0]?.message ?? "",
    /^Cannot evaluate files\/name_match: .*regular expression "\*\\\\\.pem"/,
  );
});

test("decisions are reproducible: same bundle, facts and time give the same decision id", () => {
  const doc = bundle({ p: [["always", "always", "STOP"]] });
  assert.equal(decide(doc).decisionId, decide(doc).decisionId);
  assert.notEqual(
    decide(doc).decisionId,
    decide(doc, factsFor(), new Date("2026-11-02T00:00:00Z")).decisionId,
  );
});

/** Points the bundle's only mapping at the allowlist "wl". */
function useAllowlist(doc: Doc): void {
  const [mapping] = doc.mappings as Doc[];
  if (mapping) mapping.whitelist_ids = ["wl"];
}

function pick(d: DecisionV1): [string, string, string] {
  return [d.finalAction, d.status, d.reason];
}

test("VEX not_affected and fixed suppress a vulnerability hit, which stays in the decision with its statement", () => {
  const doc = bundle({
    p: [
      [
        "vulnerabilities",
        "package",
        "STOP",
        { package_type: "all", severity: "low", severity_comparison: ">=" },
      ],
    ],
  });
  const finding = (id: string, status?: "not_affected" | "fixed" | "affected") => ({
    id,
    package: { name: "busybox", version: "1.36", type: "apk" },
    severity: "high" as const,
    fix: { state: "not-fixed" as const, versions: [] },
    ...(status ? { vex: { status, justification: "component_not_present", document: "openvex:doc-1" } } : {}),
  });
  const d = decide(
    doc,
    factsFor({
      vulnerabilities: [
        finding("CVE-1", "not_affected"),
        finding("CVE-2", "fixed"),
        finding("CVE-3", "affected"),
      ],
    }),
  );
  assert.deepEqual(
    d.results.map((r) => [r.triggerId, r.effectiveAction, r.vex?.status]),
    [
      ["CVE-1+busybox", "go", "not_affected"],
      ["CVE-2+busybox", "go", "fixed"],
      ["CVE-3+busybox", "stop", "affected"],
    ],
  );
  assert.equal(d.finalAction, "stop");
  assert.equal(d.results[0]?.vex?.justification, "component_not_present");
});
