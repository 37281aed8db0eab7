import assert from "node:assert/strict";
import { test } from "node:test";
import { seededRandom } from "../../test/support/fuzz.js";
import { factsFor, TEST_NOW } from "../../test/support/gates.js";
import { isCipError, SEVERITIES, type Severity, severityRank, type Vulnerability } from "../model/index.js";
import { compileBundle } from "../policy/compile-bundle.js";
import { evaluate } from "../policy/evaluate.js";
import {
  CLAIR_CICD_SEVERITIES,
  type ClairCicdWhitelist,
  clairCicdBundle,
  DEFAULT_CLAIR_CICD_WHITELIST,
  parseClairCicdWhitelist,
} from "./clair-cicd-whitelist.js";

function vuln(
  id: string,
  severity: Severity,
  pkg = "openssl",
  fix: Vulnerability["fix"]["state"] = "fixed",
): Vulnerability {
  return {
    id,
    package: { name: pkg, version: "1.0", type: "dpkg" },
    severity,
    fix: { state: fix, versions: fix === "fixed" ? ["1.1"] : [] },
  };
}

/** Our decision for these findings under the bundle translated from `whitelist`. */
function decide(whitelist: ClairCicdWhitelist, vulnerabilities: Vulnerability[] | undefined) {
  const { compiled, problems } = compileBundle(clairCicdBundle(whitelist));
  assert.ok(compiled, problems.map((p) => p.message).join("; "));
  return evaluate(compiled, factsFor(vulnerabilities ? { vulnerabilities } : {}), {
    now: TEST_NOW,
    imageRef: "docker.io/library/test:1.0",
  });
}

/** clair-cicd's assessor: any vulnerability not listed and above the threshold fails (unknown ranks lowest). */
function clairCicdPasses(whitelist: ClairCicdWhitelist, vulnerabilities: Vulnerability[]): boolean {
  const listed = new Set(whitelist.vulnerabilities.map((v) => v.cveId));
  const threshold = severityRank(whitelist.ignoreSevertiesAtOrBelow);
  return vulnerabilities.every((v) => listed.has(v.id) || severityRank(v.severity) <= threshold);
}

const wl = (text: string) => parseClairCicdWhitelist(text, "test");

test("reads a file's JSON and json:// values; the threshold in any case, medium by default", () => {
  assert.deepEqual(
    parseClairCicdWhitelist(
      '\uFEFF{"ignoreSevertiesAtOrBelow": "HIGH", "vulnerabilities": [{"cveId": "CVE-2016-4074", "rationale": "jq is not used"}]}',
      "whitelist.json",
    ),
    {
      ignoreSevertiesAtOrBelow: "high",
      vulnerabilities: [{ cveId: "CVE-2016-4074", rationale: "jq is not used" }],
      source: "whitelist.json",
    },
  );
  assert.equal(wl('json://{"ignoreSevertiesAtOrBelow":"Low"}').ignoreSevertiesAtOrBelow, "low");
  assert.equal(wl("json://{}").ignoreSevertiesAtOrBelow, "medium");
  assert.deepEqual(parseClairCicdWhitelist(DEFAULT_CLAIR_CICD_WHITELIST, "default"), {
    ignoreSevertiesAtOrBelow: "medium",
    vulnerabilities: [],
    source: "default",
  });
});

test("bad whitelists give clear errors naming the field", () => {
  const cases: [string, string, RegExp][] = [
    ["json://{ignoreSevertiesAtOrBelow: medium}", "CIP_USAGE", /not valid JSON/],
    ["json://", "CIP_USAGE", /not valid JSON \(it is empty\)/],
    ["{not json", "CIP_PARSE", /not valid JSON/],
    ["", "CIP_PARSE", /it is empty/],
    [
      'json://{"ignoreSevertiesAtOrBelow":"critical"}',
      "CIP_USAGE",
      /unknown severity "critical" \(at ignoreSevertiesAtOrBelow\)/,
    ],
    ['json://{"ignoreSevertiesAtOrBelow":3}', "CIP_USAGE", /unknown severity 3/],
    ['json://{"ignoreSeveritiesAtOrBelow":"low"}', "CIP_USAGE", /unknown field "ignoreSeveritiesAtOrBelow"/],
    ['json://{"vulnerabilities":{}}', "CIP_USAGE", /\(at vulnerabilities\)/],
    [
      'json://{"vulnerabilities":[{"rationale":"x"}]}',
      "CIP_USAGE",
      /id is required \(at vulnerabilities\[0\]\.cveId\)/,
    ],
    ['json://{"vulnerabilities":[{"cveId":"CVE-1","why":"x"}]}', "CIP_USAGE", /at vulnerabilities\[0\]\.why/],
    [
      'json://{"vulnerabilities":[{"cveId":"CVE-1","rationale":5}]}',
      "CIP_USAGE",
      /at vulnerabilities\[0\]\.rationale/,
    ],
    ["json://[]", "CIP_USAGE", /expected a JSON object/],
  ];
  for (const [text, code, message] of cases) {
    assert.throws(
      () => wl(text),
      (e: unknown) =>
        isCipError(e) && e.code === code && message.test(e.message) && e.message.includes("test"),
      text,
    );
  }
  // The correct spelling is the likely mistake: the hint gives clair-cicd's own.
  assert.throws(
    () => wl('{"ignoreSeveritiesAtOrBelow":"low"}'),
    (e: unknown) => isCipError(e) && /spells this key "ignoreSevertiesAtOrBelow"/.test(e.hint ?? ""),
  );
  assert.throws(
    () => wl('{"ignoreSevertiesAtOrBelow":"urgent"}'),
    (e: unknown) => isCipError(e) && e.hint === "Choose one of negligible, low, medium, high (any case).",
  );
});

test("the bundle is an Anchore v1_0 document: one STOP rule, one allowlist, one mapping for every image", () => {
  const bundle = clairCicdBundle(
    wl(
      '{"ignoreSevertiesAtOrBelow":"low","vulnerabilities":[{"cveId":"CVE-1","rationale":"not reachable"},{"cveId":"CVE-2"},{"cveId":"CVE-1","rationale":"again"}]}',
    ),
  );
  const { compiled, problems } = compileBundle(bundle);
  assert.deepEqual(problems, []);
  assert.ok(compiled);
  assert.deepEqual((bundle.policies as { rules: unknown[] }[])[0]?.rules, [
    {
      id: "severity-above-low",
      gate: "vulnerabilities",
      trigger: "package",
      action: "STOP",
      params: [
        { name: "package_type", value: "all" },
        { name: "severity_comparison", value: ">" },
        { name: "severity", value: "low" },
        { name: "vendor_only", value: "false" },
      ],
    },
  ]);
  assert.deepEqual((bundle.whitelists as { items: unknown[] }[])[0]?.items, [
    { id: "CVE-1", gate: "vulnerabilities", trigger_id: "CVE-1+*", reason: "not reachable" },
    { id: "CVE-2", gate: "vulnerabilities", trigger_id: "CVE-2+*" },
  ]);
  // A digest-only reference (no tag) is selected too.
  const decision = evaluate(
    compiled,
    factsFor({
      ref: { registry: "quay.io", repository: "a/b", digest: "sha256:00" },
      vulnerabilities: [vuln("CVE-9", "medium")],
    }),
    {
      now: TEST_NOW,
      imageRef: "quay.io/a/b@sha256:00",
    },
  );
  assert.equal(decision.mapping?.id, "every-image");
  assert.equal(decision.status, "fail");
});

test("severities above, at and below the threshold: clair-cicd's pass/fail", () => {
  const medium = wl(DEFAULT_CLAIR_CICD_WHITELIST);
  const cases: [Severity, "pass" | "fail"][] = [
    ["unknown", "pass"],
    ["negligible", "pass"],
    ["low", "pass"],
    ["medium", "pass"],
    ["high", "fail"],
    ["critical", "fail"],
  ];
  for (const [severity, status] of cases) {
    assert.equal(decide(medium, [vuln("CVE-2024-1", severity)]).status, status, severity);
  }
  assert.equal(
    decide(wl('json://{"ignoreSevertiesAtOrBelow":"high"}'), [vuln("CVE-1", "high")]).status,
    "pass",
  );
  assert.equal(
    decide(wl('json://{"ignoreSevertiesAtOrBelow":"high"}'), [vuln("CVE-1", "critical")]).status,
    "fail",
  );
  assert.equal(
    decide(wl('json://{"ignoreSevertiesAtOrBelow":"negligible"}'), [vuln("CVE-1", "low")]).status,
    "fail",
  );
  assert.equal(
    decide(wl('json://{"ignoreSevertiesAtOrBelow":"negligible"}'), [vuln("CVE-1", "unknown")]).status,
    "pass",
  );
  // A vulnerability the vendor will not fix still counts, as clair-cicd sees every one.
  assert.equal(decide(medium, [vuln("CVE-1", "high", "bash", "wont-fix")]).status, "fail");
  // No findings, and no vulnerability data at all, both pass.
  assert.equal(decide(medium, []).status, "pass");
  assert.equal(decide(medium, undefined).status, "pass");
});

test("listed vulnerabilities pass on every package, kept in the decision with their rationale; unlisted ones still fail", () => {
  const whitelist = wl(
    '{"ignoreSevertiesAtOrBelow":"medium","vulnerabilities":[{"cveId":"CVE-2016-4074","rationale":"jq is not used at runtime"}]}',
  );
  const listed = decide(whitelist, [
    vuln("CVE-2016-4074", "critical", "jq"),
    vuln("CVE-2016-4074", "high", "libjq1"),
  ]);
  assert.equal(listed.status, "pass");
  assert.equal(listed.results.length, 2);
  for (const row of listed.results) {
    assert.equal(row.effectiveAction, "go");
    assert.ok(row.allowlisted, "the hit stays, marked allowlisted");
    assert.match(JSON.stringify(row.allowlisted), /jq is not used at runtime/);
  }
  const mixed = decide(whitelist, [
    vuln("CVE-2016-4074", "critical", "jq"),
    vuln("CVE-2017-9999", "high", "curl"),
  ]);
  assert.equal(mixed.status, "fail");
  assert.deepEqual(
    mixed.results.filter((r) => r.effectiveAction === "stop").map((r) => r.triggerId),
    ["CVE-2017-9999+curl"],
  );
});

test("random whitelists and findings: the bundle's pass/fail equals clair-cicd's assessor every time", () => {
  const rnd = seededRandom(42);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)] as T;
  const ids = ["CVE-1", "CVE-2", "CVE-3", "CVE-4", "CVE-5"];
  for (let i = 0; i < 300; i++) {
    const whitelist: ClairCicdWhitelist = {
      ignoreSevertiesAtOrBelow: pick(CLAIR_CICD_SEVERITIES),
      vulnerabilities: ids.filter(() => rnd() < 0.3).map((cveId) => ({ cveId })),
      source: "random",
    };
    const findings = Array.from({ length: Math.floor(rnd() * 6) }, () =>
      vuln(pick(ids), pick(SEVERITIES), pick(["a", "b"]), pick(["fixed", "wont-fix", "not-fixed"] as const)),
    );
    const expected = clairCicdPasses(whitelist, findings) ? "pass" : "fail";
    assert.equal(decide(whitelist, findings).status, expected, JSON.stringify({ whitelist, findings }));
  }
});
