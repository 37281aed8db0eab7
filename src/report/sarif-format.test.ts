import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { REPO_ROOT } from "../../test/support/corpus.js";
import { goldenDecisions, matchGolden } from "../../test/support/golden.js";
import { hasRawControl, sarifValidator } from "../../test/support/report-schemas.js";
import type { DecisionV1, ImageFacts, ResultRow } from "../model/index.js";
import { formatSarif } from "./sarif-format.js";

const OPTIONS = { color: false };

const validate = sarifValidator();

function assertValidSarif(text: string, what: string): SarifLog {
  const log = JSON.parse(text) as SarifLog;
  assert.ok(validate(log), `${what} does not validate:\n${JSON.stringify(validate.errors, null, 2)}`);
  assertGithubReady(log, what);
  return log;
}

interface SarifLog {
  $schema: string;
  version: string;
  runs: {
    tool: { driver: { name: string; rules: Rule[] } };
    automationDetails: { id: string };
    invocations: { executionSuccessful: boolean; properties: Record<string, unknown> }[];
    results: Result[];
  }[];
}
interface Rule {
  id: string;
  name?: string;
  shortDescription: { text: string };
  fullDescription: { text: string };
  help: { text: string; markdown?: string };
  defaultConfiguration?: { level: string };
  properties: { tags: string[]; "security-severity"?: string };
}
interface Result {
  ruleId: string;
  ruleIndex: number;
  level: string;
  message: { text: string };
  locations: {
    physicalLocation: { artifactLocation: { uri: string }; region: Record<string, number> };
    logicalLocations?: { name: string; fullyQualifiedName: string; kind: string }[];
  }[];
  partialFingerprints: Record<string, string>;
  suppressions?: { kind: string; status: string; justification: string }[];
  properties: Record<string, unknown>;
}

/** What GitHub code scanning's SARIF documentation marks required, and its limits. */
function assertGithubReady(log: SarifLog, what: string): void {
  assert.equal(log.version, "2.1.0");
  assert.ok(log.$schema, `${what}: $schema`);
  for (const run of log.runs) {
    assert.ok(run.tool.driver.name, `${what}: tool.driver.name`);
    const ids = new Set<string>();
    for (const rule of run.tool.driver.rules) {
      assert.ok(rule.id && !ids.has(rule.id), `${what}: rule ids present and unique (${rule.id})`);
      ids.add(rule.id);
      assert.ok(
        rule.shortDescription.text.length > 0 && rule.shortDescription.text.length <= 1024,
        `${what}: shortDescription`,
      );
      assert.ok(
        rule.fullDescription.text.length > 0 && rule.fullDescription.text.length <= 1024,
        `${what}: fullDescription`,
      );
      assert.ok(rule.help.text.length > 0, `${what}: help.text`);
      if (rule.name !== undefined)
        assert.ok(rule.name.length > 0 && rule.name.length <= 255, `${what}: rule name`);
      const score = rule.properties["security-severity"];
      if (score !== undefined) {
        assert.match(score, /^\d+(\.\d+)?$/, `${what}: security-severity is a number in a string`);
        assert.ok(Number(score) > 0 && Number(score) <= 10, `${what}: security-severity in (0, 10]`);
        assert.ok(
          rule.properties.tags.includes("security"),
          `${what}: security rules carry the security tag`,
        );
      }
    }
    for (const r of run.results) {
      const rule = run.tool.driver.rules[r.ruleIndex];
      assert.equal(rule?.id, r.ruleId, `${what}: ruleIndex points at ruleId`);
      assert.ok(r.message.text.length > 0, `${what}: message.text`);
      assert.ok(r.locations.length >= 1 && r.locations.length <= 10, `${what}: 1 to 10 locations`);
      const physical = r.locations[0]?.physicalLocation;
      assert.ok(physical?.artifactLocation.uri, `${what}: physicalLocation.artifactLocation.uri`);
      // A scheme would be checked against the checkout's and rejected: the URI must be relative.
      assert.doesNotMatch(
        physical.artifactLocation.uri,
        /^[A-Za-z][A-Za-z0-9+.-]*:/,
        `${what}: relative URI`,
      );
      for (const k of ["startLine", "startColumn", "endLine", "endColumn"]) {
        assert.ok(Number.isInteger(physical.region[k]), `${what}: region.${k}`);
      }
      assert.match(
        r.partialFingerprints.primaryLocationLineHash ?? "",
        /^[0-9a-f]{16}:1$/,
        `${what}: fingerprint`,
      );
    }
  }
}

describe("formatSarif golden files", () => {
  for (const g of goldenDecisions()) {
    test(`${g.name}: ${g.description}`, { skip: g.skip }, () => {
      const decision = g.decision as DecisionV1;
      const options = { ...OPTIONS, ...(g.facts ? { facts: g.facts } : {}) };
      const text = formatSarif(decision, options);
      matchGolden(`sarif/${g.name}.sarif`, text);
      const log = assertValidSarif(text, g.name);
      const run = log.runs[0];
      assert.equal(run?.results.length, decision.results.length + (decision.deniedImage ? 1 : 0));
      assert.equal(run?.invocations[0]?.properties.finalAction, decision.finalAction);
      assert.equal(formatSarif(decision, options), text, "deterministic");
    });
  }
});

test("the golden files themselves validate against the SARIF 2.1.0 schema", () => {
  for (const g of goldenDecisions()) {
    if (g.skip) continue;
    const text = readFileSync(join(REPO_ROOT, "test/golden/sarif", `${g.name}.sarif`), "utf8");
    assertValidSarif(text, `test/golden/sarif/${g.name}.sarif`);
  }
});

test("the validator rejects what the schema forbids", () => {
  const good = JSON.parse(formatSarif(decision([row({})]), OPTIONS)) as SarifLog;
  assert.ok(validate(good));
  const badLevel = structuredClone(good);
  (badLevel.runs[0]?.results[0] as Result).level = "fatal";
  assert.equal(validate(badLevel), false);
  const noMessage = structuredClone(good) as unknown as { runs: { results: Record<string, unknown>[] }[] };
  delete noMessage.runs[0]?.results[0]?.message;
  assert.equal(validate(noMessage), false);
  const badSuppression = structuredClone(good) as unknown as {
    runs: { results: Record<string, unknown>[] }[];
  };
  (badSuppression.runs[0]?.results[0] as Record<string, unknown>).suppressions = [{ kind: "allowlist" }];
  assert.equal(validate(badSuppression), false);
});

// A small decision to drive the behaviour tests.
function decision(results: ResultRow[], over: Partial<DecisionV1> = {}): DecisionV1 {
  return {
    schemaVersion: "1",
    decisionId: "00000000-0000-0000-0000-000000000001",
    image: {
      ref: "registry.example:5000/team/app:2.0",
      registry: "registry.example:5000",
      repository: "team/app",
      tag: "2.0",
    },
    bundle: { id: "b", digest: "sha256:00" },
    mapping: { index: 0 },
    policies: [{ id: "p" }],
    finalAction: "stop",
    policyAction: "stop",
    status: "fail",
    reason: "policy_evaluation",
    results,
    problems: [],
    evaluatedAt: "2026-01-02T03:04:05.000Z",
    ...over,
  };
}

function row(over: Partial<ResultRow>): ResultRow {
  return {
    policyId: "p",
    ruleId: "r1",
    gate: "dockerfile",
    trigger: "effective_user",
    triggerId: "cbff271f45d32e78dcc1979dbca9c14d",
    message: "User root found as effective user, which is explicity not allowed",
    action: "stop",
    effectiveAction: "stop",
    status: "fired",
    ...over,
  };
}

const VULN = row({
  gate: "vulnerabilities",
  trigger: "package",
  triggerId: "CVE-2023-38408+openssh-server",
  message:
    "CRITICAL Vulnerability found in os package type (dpkg) - openssh-server (fixed in: 1:7.9p1-10+deb10u3)(CVE-2023-38408 - https://security-tracker.debian.org/tracker/CVE-2023-38408)",
});

function run(d: DecisionV1): SarifLog["runs"][number] {
  return assertValidSarif(formatSarif(d, OPTIONS), "decision").runs[0] as SarifLog["runs"][number];
}

test("levels follow the action: stop → error, warn → warning, go → note", () => {
  const r = run(
    decision([
      row({ action: "stop", effectiveAction: "stop" }),
      row({ action: "warn", effectiveAction: "warn", triggerId: "b" }),
      row({ action: "go", effectiveAction: "go", triggerId: "c" }),
    ]),
  );
  assert.deepEqual(
    r.results.map((x) => x.level),
    ["error", "warning", "note"],
  );
  assert.equal(r.tool.driver.rules.length, 1, "one rule per gate/trigger");
  assert.equal(
    r.tool.driver.rules[0]?.defaultConfiguration?.level,
    "error",
    "the rule's default is its strictest action",
  );
});

test("a suppressed hit does not raise its vulnerability rule's security severity", () => {
  // One CVE in two packages: the allowlisted one says CRITICAL, the counting one LOW.
  const low = {
    ...VULN,
    triggerId: "CVE-2023-38408+openssh-client",
    message: VULN.message.replace("CRITICAL", "LOW").replace("- openssh-server", "- openssh-client"),
  };
  const r = run(
    decision([
      { ...VULN, effectiveAction: "go", allowlisted: { allowlistId: "a", itemId: "i", pattern: "*" } },
      low,
    ]),
  );
  assert.equal(r.tool.driver.rules.length, 1);
  assert.equal(r.tool.driver.rules[0]?.properties["security-severity"], "2.0");
});

test("one rule per vulnerability id with its own severity; other hits keep a rule per gate/trigger", () => {
  const lowVuln = (id: string, pkg: string) => ({
    ...VULN,
    action: "warn" as const,
    effectiveAction: "warn" as const,
    triggerId: `${id}+${pkg}`,
    message: `LOW Vulnerability found in os package type (apk) - ${pkg} (${id} - https://nvd.nist.gov/vuln/detail/${id})`,
  });
  const r = run(
    decision([
      VULN,
      lowVuln("CVE-2020-1", "musl"),
      lowVuln("CVE-2020-2", "musl"),
      lowVuln("CVE-2020-1", "musl-utils"),
      row({}),
      row({ gate: "image_source", trigger: "tag_latest", action: "warn", effectiveAction: "warn" }),
    ]),
  );
  assert.deepEqual(
    r.tool.driver.rules.map((x) => [x.id, x.name, x.properties["security-severity"]]),
    [
      ["CVE-2023-38408", "CVE-2023-38408", "9.5"],
      ["CVE-2020-1", "CVE-2020-1", "2.0"],
      ["CVE-2020-2", "CVE-2020-2", "2.0"],
      ["dockerfile/effective_user", "DockerfileEffectiveUser", "8.0"],
      ["image_source/tag_latest", "ImageSourceTagLatest", "5.5"],
    ],
  );
  assert.deepEqual(
    r.results.map((x) => [x.ruleId, x.ruleIndex]),
    [
      ["CVE-2023-38408", 0],
      ["CVE-2020-1", 1],
      ["CVE-2020-2", 2],
      ["CVE-2020-1", 1],
      ["dockerfile/effective_user", 3],
      ["image_source/tag_latest", 4],
    ],
  );
  const rule = r.tool.driver.rules[1] as Rule & { helpUri?: string };
  assert.equal(rule.helpUri, "https://nvd.nist.gov/vuln/detail/CVE-2020-1");
  assert.equal(
    rule.shortDescription.text,
    "Low vulnerability CVE-2020-1 in musl (no fix known), musl-utils (no fix known)",
  );
});

test("with the facts, a vulnerability rule's severity is its CVSS score and it names the installed version", () => {
  const facts = {
    ref: { registry: "registry.example:5000", repository: "team/app", tag: "2.0" },
    vulnerabilities: [
      {
        id: "CVE-2023-38408",
        package: { name: "openssh-server", version: "1:7.9p1-10+deb10u2", type: "dpkg" },
        severity: "critical",
        cvss: [
          { version: "3.1", source: "vendor", baseScore: 7.3 },
          { version: "3.1", source: "nvd", baseScore: 9.8 },
        ],
        fix: { state: "fixed", versions: ["1:7.9p1-10+deb10u3"] },
        description: "The PKCS#11 feature in ssh-agent has an insufficiently trustworthy search path.",
      },
    ],
  } as ImageFacts;
  const log = assertValidSarif(formatSarif(decision([VULN]), { ...OPTIONS, facts }), "with facts");
  const rule = log.runs[0]?.tool.driver.rules[0];
  assert.equal(rule?.properties["security-severity"], "9.8");
  assert.equal(
    rule?.shortDescription.text,
    "CVE-2023-38408: The PKCS#11 feature in ssh-agent has an insufficiently trustworthy search path.",
  );
  assert.match(
    rule?.help.text ?? "",
    /in: openssh-server 1:7\.9p1-10\+deb10u2 \(fixed in 1:7\.9p1-10\+deb10u3\)/,
  );
});

test("vulnerability hits carry CVE, package, fixed version and URL, and the package as a logical location", () => {
  const result = run(decision([VULN])).results[0] as Result;
  assert.deepEqual(
    [
      result.properties.vulnerabilityId,
      result.properties.package,
      result.properties.fixedVersion,
      result.properties.url,
    ],
    [
      "CVE-2023-38408",
      "openssh-server",
      "1:7.9p1-10+deb10u3",
      "https://security-tracker.debian.org/tracker/CVE-2023-38408",
    ],
  );
  assert.deepEqual(result.locations[0]?.logicalLocations, [
    { name: "openssh-server", fullyQualifiedName: "openssh-server", kind: "package" },
  ]);
  assert.equal(result.properties.severity, "critical");
});

test("allowlisted and VEX-suppressed hits stay as results with external, accepted suppressions", () => {
  const r = run(
    decision([
      {
        ...VULN,
        effectiveAction: "go",
        allowlisted: { allowlistId: "al", itemId: "i1", pattern: "CVE-2023-38408+*", reason: "r" },
      },
      {
        ...VULN,
        triggerId: "CVE-2023-1+x",
        effectiveAction: "go",
        vex: { status: "not_affected", justification: "component_not_present" },
      },
      row({}),
    ]),
  );
  assert.equal(r.results.length, 3);
  assert.deepEqual(
    r.results.map((x) => x.suppressions?.map((s) => [s.kind, s.status])),
    [[["external", "accepted"]], [["external", "accepted"]], undefined],
  );
  assert.match(r.results[0]?.suppressions?.[0]?.justification ?? "", /Allowlisted by al item i1/);
  assert.match(
    r.results[1]?.suppressions?.[0]?.justification ?? "",
    /VEX not_affected \(component_not_present\)/,
  );
  // A suppressed hit keeps the level its rule asked for.
  assert.equal(r.results[0]?.level, "error");
});

test("hits of an allowed image are suppressed; a denied image gets a result of its own", () => {
  const allowed = run(
    decision([row({})], {
      finalAction: "go",
      status: "pass",
      reason: "allowlisted",
      allowedImage: { name: "trusted", registry: "*", repository: "*", image: { type: "tag", value: "*" } },
    }),
  );
  assert.match(allowed.results[0]?.suppressions?.[0]?.justification ?? "", /allowed-images rule trusted/);
  const denied = run(
    decision([], {
      reason: "denylisted",
      deniedImage: {
        id: "no-app",
        registry: "*",
        repository: "team/app",
        image: { type: "tag", value: "*" },
      },
    }),
  );
  assert.equal(denied.results.length, 1);
  assert.equal(denied.results[0]?.level, "error");
  assert.equal(denied.results[0]?.ruleId, "cipolice/denied_image");
});

test("the location is the image repository as a relative URI, stable across tags, and so are fingerprints", () => {
  const a = run(decision([VULN]));
  const b = run(
    decision([VULN], {
      image: {
        ref: "registry.example:5000/team/app:2.1",
        registry: "registry.example:5000",
        repository: "team/app",
        tag: "2.1",
      },
    }),
  );
  assert.equal(
    a.results[0]?.locations[0]?.physicalLocation.artifactLocation.uri,
    "registry.example%3A5000/team/app",
  );
  assert.deepEqual(a.results[0]?.partialFingerprints, b.results[0]?.partialFingerprints);
  assert.match(
    a.automationDetails.id,
    /^cipolice\/registry\.example:5000\/team\/app\/2026-01-02T03:04:05\.000Z$/,
  );
  const other = run(decision([{ ...VULN, triggerId: "CVE-2023-38408+openssh-client" }]));
  assert.notDeepEqual(a.results[0]?.partialFingerprints, other.results[0]?.partialFingerprints);
});

test("invocation: successful unless the bundle is invalid; problems become notifications", () => {
  const ok = assertValidSarif(
    formatSarif(
      decision([], {
        problems: [{ level: "warning", code: "CIP_ALLOWLIST_EXPIRED", message: "item x expired" }],
      }),
      OPTIONS,
    ),
    "problems",
  );
  const inv = ok.runs[0]?.invocations[0] as unknown as {
    executionSuccessful: boolean;
    toolExecutionNotifications: { level: string; message: { text: string } }[];
  };
  assert.equal(inv.executionSuccessful, true);
  assert.deepEqual(
    inv.toolExecutionNotifications.map((n) => [n.level, n.message.text]),
    [["warning", "item x expired"]],
  );
  assert.equal(run(decision([], { reason: "bundle_invalid" })).invocations[0]?.executionSuccessful, false);
});

test("hostile text stays data: valid JSON, exact round trip, escaped Markdown, clipped names", () => {
  const hostile = `<script>alert("x")</script> & "quoted" \u0000\u0007\u001b[31mred\u001b[0m\r\n\u2028end`;
  const long = "A".repeat(200_000);
  const gate = `gate<script>&"${"g".repeat(2000)}`;
  const text = formatSarif(
    decision([
      row({ message: hostile, triggerId: hostile }),
      row({ message: long, triggerId: "long" }),
      row({ gate, trigger: "t\u0000", message: "" }),
    ]),
    OPTIONS,
  );
  assert.ok(!hasRawControl(text), "control characters are escaped");
  const log = assertValidSarif(text, "hostile");
  const r = log.runs[0] as SarifLog["runs"][number];
  assert.equal(r.results[0]?.message.text, hostile);
  assert.equal(r.results[0]?.properties.triggerId, hostile);
  assert.equal(r.results[1]?.message.text, long);
  assert.ok((r.results[2]?.message.text.length ?? 0) > 0, "an empty message is replaced");
  const rule = r.tool.driver.rules[1] as Rule;
  assert.ok((rule.name ?? "").length <= 255);
  assert.doesNotMatch(rule.help.markdown ?? "", /<script>/);
  assert.ok(!hasRawControl(rule.help.markdown ?? ""));
});

/** True when text holds a raw control character other than the pretty-printer's line feeds. */
