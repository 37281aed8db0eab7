import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { REPO_ROOT } from "../../test/support/corpus.js";
import { goldenDecisions, matchGolden } from "../../test/support/golden.js";
import type { Bundle, DecisionV1, PolicyRule, ResultRow } from "../model/index.js";
import { loadBundle } from "../service/load-bundle.js";
import { formatJunit } from "./junit-format.js";

const OPTIONS = { color: false };

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: "@_",
  trimValues: false,
  htmlEntities: true,
  parseAttributeValue: false,
  parseTagValue: false,
  isArray: (name) => ["testsuite", "testcase", "property", "failure", "error", "skipped"].includes(name),
});

type Node = Record<string, unknown>;
const list = (v: unknown): Node[] => (Array.isArray(v) ? (v as Node[]) : []);
const INT = /^(0|[1-9]\d*)$/;
const DECIMAL = /^\d+(\.\d+)?$/;
// XML 1.0 Char production, as a test of the raw output rather than of the parser's tolerance.
const NOT_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

/** Parses `xml` and asserts the common JUnit XSD shape (Jenkins junit-10.xsd, windyroad JUnit.xsd); returns the root. */
function assertJunitShape(xml: string): Node {
  assert.equal(XMLValidator.validate(xml), true, "well-formed XML");
  assert.ok(!NOT_XML_CHAR.test(xml), "no character XML 1.0 forbids");
  assert.match(xml, /^<\?xml version="1\.0" encoding="UTF-8"\?>\n/);
  const doc = parser.parse(xml) as Node;
  const root = doc.testsuites as Node;
  assert.ok(root, "root element testsuites");
  const total = { tests: 0, failures: 0, errors: 0, skipped: 0 };
  const suites = list(root.testsuite);
  assert.ok(suites.length >= 1, "at least the verdict suite");
  for (const suite of suites) {
    for (const a of ["name", "tests", "failures", "errors", "skipped", "time", "timestamp", "hostname"]) {
      assert.equal(typeof suite[`@_${a}`], "string", `testsuite has ${a}`);
    }
    assert.ok((suite["@_name"] as string).length > 0, "testsuite name not empty");
    for (const a of ["tests", "failures", "errors", "skipped"])
      assert.match(suite[`@_${a}`] as string, INT, a);
    assert.match(suite["@_time"] as string, DECIMAL);
    assert.match(
      suite["@_timestamp"] as string,
      /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/,
      "timestamp without zone",
    );
    const props = suite.properties;
    assert.ok(props !== undefined, "testsuite has properties");
    // `<properties/>` parses to an empty string, a filled one to an object.
    for (const p of list(typeof props === "object" ? (props as Node).property : undefined)) {
      assert.equal(typeof p["@_name"], "string");
      assert.equal(typeof p["@_value"], "string");
    }
    const cases = list(suite.testcase);
    const count = { tests: cases.length, failures: 0, errors: 0, skipped: 0 };
    for (const tc of cases) {
      for (const a of ["name", "classname", "time"])
        assert.equal(typeof tc[`@_${a}`], "string", `testcase ${a}`);
      assert.match(tc["@_time"] as string, DECIMAL);
      const f = list(tc.failure);
      const e = list(tc.error);
      const s = list(tc.skipped);
      assert.ok(f.length + e.length + s.length <= 1, "at most one of failure, error, skipped");
      for (const x of [...f, ...e]) {
        assert.equal(typeof x["@_type"], "string", "failure/error type");
        assert.equal(typeof x["@_message"], "string", "failure/error message");
      }
      count.failures += f.length;
      count.errors += e.length;
      count.skipped += s.length;
    }
    const names = cases.map((tc) => `${tc["@_classname"]}\u0000${tc["@_name"]}`);
    assert.equal(new Set(names).size, names.length, "test names unique per class (GitLab drops repeats)");
    for (const k of ["tests", "failures", "errors", "skipped"] as const) {
      assert.equal(Number(suite[`@_${k}`]), count[k], `testsuite ${k} equals its children`);
      total[k] += count[k];
    }
  }
  for (const k of ["tests", "failures", "errors", "skipped"] as const) {
    assert.match(root[`@_${k}`] as string, INT);
    assert.equal(Number(root[`@_${k}`]), total[k], `testsuites ${k} equals the sum`);
  }
  assert.match(root["@_time"] as string, DECIMAL);
  assert.equal(typeof root["@_name"], "string");
  return root;
}

function row(over: Partial<ResultRow> = {}): ResultRow {
  return {
    policyId: "p1",
    policyName: "Policy one",
    ruleId: "r1",
    gate: "vulnerabilities",
    trigger: "package",
    triggerId: "CVE-2024-0001+openssl",
    message: "HIGH Vulnerability found in os package type (dpkg) - openssl",
    action: "stop",
    effectiveAction: "stop",
    status: "fired",
    ...over,
  };
}

function decision(results: ResultRow[], over: Partial<DecisionV1> = {}): DecisionV1 {
  const stops = results.some((r) => r.effectiveAction === "stop");
  const warns = results.some((r) => r.effectiveAction === "warn");
  const action = stops ? "stop" : warns ? "warn" : "go";
  return {
    schemaVersion: "1",
    decisionId: "00000000-0000-0000-0000-000000000001",
    image: {
      ref: "registry.test/team/app:1.0",
      registry: "registry.test",
      repository: "team/app",
      tag: "1.0",
    },
    bundle: { id: "b", name: "Bundle", digest: `sha256:${"a".repeat(64)}` },
    mapping: { id: "m", name: "All", index: 0 },
    policies: [{ id: "p1", name: "Policy one" }],
    finalAction: action,
    policyAction: action,
    status: stops ? "fail" : "pass",
    reason: "policy_evaluation",
    results,
    problems: [],
    evaluatedAt: "2026-11-22T00:00:00.000Z",
    ...over,
  };
}

const cases = (root: Node) => list(root.testsuite).flatMap((s) => list(s.testcase));

for (const g of goldenDecisions()) {
  test(`junit golden: ${g.name} (${g.description})`, { skip: g.skip }, () => {
    const xml = formatJunit(g.decision as DecisionV1, OPTIONS);
    matchGolden(`junit/${g.name}.xml`, xml);
    const root = assertJunitShape(xml);
    const d = g.decision as DecisionV1;
    assert.equal(Number(root["@_tests"]), d.results.length + 1, "one case per result row plus the verdict");
    assert.equal(
      Number(root["@_failures"]),
      d.results.filter((r) => r.effectiveAction === "stop" && r.status === "fired" && !r.allowlisted).length +
        (d.status === "fail" ? 1 : 0),
    );
  });
}

test("junit golden: legacy-app with the default bundle (rules that did not fire pass)", () => {
  const g = goldenDecisions().find((x) => x.name === "legacy-app");
  const d = g?.decision as DecisionV1;
  const bundle = loadBundle(
    readFileSync(join(REPO_ROOT, "policies/default-bundle.yaml"), "utf8"),
    "default",
  ).bundle;
  const xml = formatJunit(d, { color: false, bundle });
  matchGolden("junit/legacy-app.with-bundle.xml", xml);
  const root = assertJunitShape(xml);
  const rules = bundle.policies.filter((p) => d.policies.some((q) => q.id === p.id)).flatMap((p) => p.rules);
  const firedRules = new Set(d.results.map((r) => r.ruleId)).size;
  assert.equal(Number(root["@_tests"]), 1 + d.results.length + rules.length - firedRules);
});

test("a clean image still shows one passing verdict test", () => {
  const root = assertJunitShape(formatJunit(decision([]), OPTIONS));
  assert.equal(root["@_tests"], "1");
  assert.equal(root["@_failures"], "0");
  const [verdict] = cases(root);
  assert.equal(verdict?.["@_classname"], "cipolice.verdict");
  assert.equal(verdict?.["@_name"], "final action for registry.test/team/app");
  assert.match(verdict?.["system-out"] as string, /^PASS: final action GO \(policy evaluation\)/);
  // The evaluated policy shows as an empty suite, so a reader sees what ran.
  assert.deepEqual(
    list(root.testsuite).map((s) => [s["@_name"], s["@_tests"]]),
    [
      ["CIPolicE verdict", "1"],
      ["Policy one (p1)", "0"],
    ],
  );
});

test("STOP fails, WARN passes with system-out, errors and suppressed rows are told apart", () => {
  const d = decision([
    row(),
    row({ ruleId: "r2", triggerId: "t-warn", action: "warn", effectiveAction: "warn", message: "warned" }),
    row({
      ruleId: "r3",
      triggerId: "t-err",
      status: "error",
      errorCode: "CIP_TRIGGER_FAILED",
      effectiveAction: "warn",
    }),
    row({
      ruleId: "r4",
      triggerId: "CVE-1+x",
      effectiveAction: "go",
      allowlisted: {
        allowlistId: "al",
        allowlistName: "Main",
        itemId: "i1",
        pattern: "CVE-1+*",
        reason: "ok",
        owner: "sec",
      },
    }),
    row({
      ruleId: "r5",
      triggerId: "CVE-2+y",
      effectiveAction: "go",
      vex: { status: "not_affected", justification: "component_not_present", document: "openvex:doc" },
    }),
  ]);
  const root = assertJunitShape(formatJunit(d, OPTIONS));
  const [verdict, stop, warn, error, allowed, vex] = cases(root);
  assert.equal(list(verdict?.failure)[0]?.["@_type"], "stop");
  assert.match(list(verdict?.failure)[0]?.["#text"] as string, /^FAIL: final action STOP/);
  assert.equal(stop?.["@_name"], "r1 CVE-2024-0001+openssl");
  assert.equal(stop?.["@_classname"], "p1.vulnerabilities");
  assert.equal(list(stop?.failure)[0]?.["@_type"], "stop");
  assert.equal(warn?.failure, undefined);
  assert.match(warn?.["system-out"] as string, /^WARN: warned\npolicy p1 rule r2/);
  assert.equal(list(error?.error)[0]?.["@_type"], "CIP_TRIGGER_FAILED");
  const skipAllow = list(allowed?.skipped)[0];
  assert.match(
    skipAllow?.["@_message"] as string,
    /^allowlisted by Main item i1 \(reason: ok, owner: sec\): /,
  );
  assert.equal(skipAllow?.["#text"], skipAllow?.["@_message"], "GitLab reads the element text");
  assert.match(
    list(vex?.skipped)[0]?.["@_message"] as string,
    /^suppressed by VEX not_affected \(component_not_present, openvex:doc\): /,
  );
  assert.deepEqual(
    [root["@_tests"], root["@_failures"], root["@_errors"], root["@_skipped"]],
    ["6", "2", "1", "2"],
  );
});

test("equal test names in one class get a counter, as GitLab keeps only the first", () => {
  const d = decision([row({ ruleId: undefined }), row({ ruleId: undefined })]);
  const names = cases(assertJunitShape(formatJunit(d, OPTIONS))).map((c) => c["@_name"]);
  assert.deepEqual(names.slice(1), ["package CVE-2024-0001+openssl", "package CVE-2024-0001+openssl (2)"]);
});

test("results of a policy not listed in policies still get a suite", () => {
  const d = decision([row({ policyId: "other", policyName: undefined })]);
  const root = assertJunitShape(formatJunit(d, OPTIONS));
  assert.deepEqual(
    list(root.testsuite).map((s) => s["@_name"]),
    ["CIPolicE verdict", "Policy one (p1)", "other"],
  );
});

test("hostile text is escaped, forbidden characters are replaced, and it reads back as written", () => {
  const hostile = `<script>alert("x")</script> & 'q' ]]> \u0000\u0008\u001b[31m\uFFFE \uD800 tab\tnl\ncr\r end 😀`;
  const expected = `<script>alert("x")</script> & 'q' ]]> \uFFFD\uFFFD\uFFFD[31m\uFFFD \uFFFD tab\tnl\ncr\r end 😀`;
  const d = decision([row({ message: hostile, ruleId: `r<"&>`, policyId: "p1" })], {
    image: { ref: `registry.test/a:<b>&"`, registry: "registry.test", repository: "a" },
  });
  const xml = formatJunit(d, OPTIONS);
  assert.ok(!xml.includes("<script>"), "no raw markup");
  const root = assertJunitShape(xml);
  const stop = cases(root)[1];
  const failure = list(stop?.failure)[0];
  assert.equal(failure?.["@_message"], expected, "attribute keeps tabs and line breaks");
  assert.equal(
    failure?.["#text"],
    `STOP: ${expected}\npolicy p1 rule r<"&>, gate vulnerabilities, trigger package, trigger id CVE-2024-0001+openssl`,
  );
  assert.equal(stop?.["@_name"], `r<"&> CVE-2024-0001+openssl`);
  assert.equal(root["@_name"], `CIPolicE registry.test/a:<b>&"`);
});

test("a very long message is whole in the element and clipped in the attribute", () => {
  const long = `${"A".repeat(50_000)}😀${"B".repeat(50_000)}`;
  const root = assertJunitShape(formatJunit(decision([row({ message: long })]), OPTIONS));
  const failure = list(cases(root)[1]?.failure)[0];
  assert.equal(
    failure?.["#text"],
    `STOP: ${long}\npolicy p1 rule r1, gate vulnerabilities, trigger package, trigger id CVE-2024-0001+openssl`,
  );
  const message = failure?.["@_message"] as string;
  assert.equal([...message].length, 1000);
  assert.ok(message.endsWith("…"));
});

test("timestamps come from evaluatedAt, not the clock", () => {
  const xml = formatJunit(decision([row()], { evaluatedAt: "2020-02-03T04:05:06.789Z" }), OPTIONS);
  assert.equal(xml.match(/timestamp="2020-02-03T04:05:06"/g)?.length, 2);
  assert.match(xml, /<property name="evaluated.at" value="2020-02-03T04:05:06.789Z"\/>/);
});

test("given the decision's bundle, rules that did not fire are passing tests", () => {
  const rule = (id: string | undefined, gate: string, trigger: string): PolicyRule => ({
    ...(id ? { id } : {}),
    gate,
    trigger,
    action: "STOP",
    params: [{ name: "max_days", value: "7" }],
  });
  const bundle: Bundle = {
    id: "b",
    version: "1_0",
    policies: [
      {
        id: "p1",
        version: "1_0",
        rules: [
          rule("r1", "vulnerabilities", "package"),
          rule("quiet", "dockerfile", "effective_user"),
          rule(undefined, "metadata", "attribute"),
        ],
      },
      { id: "unused", version: "1_0", rules: [rule("x", "a", "b")] },
    ],
    allowlists: [],
    mappings: [],
    allowedImages: [],
    deniedImages: [],
  };
  const d = decision([row()], {
    problems: [
      { level: "warning", code: "CIP_GATE_RETIRED", message: "gone", policyId: "p1", ruleId: "quiet" },
    ],
  });
  const root = assertJunitShape(formatJunit(d, { color: false, bundle }));
  const [, fired, quiet, unnamed, ...rest] = cases(root);
  assert.equal(fired?.["@_name"], "r1 CVE-2024-0001+openssl");
  assert.equal(quiet?.["@_name"], "quiet did not fire");
  assert.equal(quiet?.["@_classname"], "p1.dockerfile");
  assert.equal(
    quiet?.["system-out"],
    "PASS: rule did not fire\npolicy p1 rule quiet, gate dockerfile, trigger effective_user, action stop, params max_days=7\nwarning CIP_GATE_RETIRED: gone",
  );
  assert.equal(unnamed?.["@_name"], "attribute did not fire");
  assert.deepEqual(rest, [], "policies the mapping did not select stay out");
  // Another bundle's rules say nothing about this decision.
  const other = assertJunitShape(formatJunit(d, { color: false, bundle: { ...bundle, id: "other" } }));
  assert.equal(other["@_tests"], "2");
});
