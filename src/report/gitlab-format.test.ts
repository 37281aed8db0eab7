import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { corpusPath, REPO_ROOT, skipWithoutCorpus } from "../../test/support/corpus.js";
import { goldenDecisions, matchGolden } from "../../test/support/golden.js";
import { gitlabValidator } from "../../test/support/report-schemas.js";
import type { DecisionV1, ImageFacts, ResultRow } from "../model/index.js";
import { formatGitlab, GITLAB_REPORT_VERSION } from "./gitlab-format.js";

const OPTIONS = { color: false };

const validate = gitlabValidator();

interface Report {
  version: string;
  scan: { status: string; start_time: string; messages: { level: string; value: string }[] };
  vulnerabilities: {
    id: string;
    name: string;
    description: string;
    severity: string;
    solution?: string;
    identifiers: { type: string; name: string; value: string; url?: string }[];
    links?: { url: string }[];
    location: {
      dependency: { package: { name: string }; version: string };
      operating_system: string;
      image: string;
    };
  }[];
}

function assertValidReport(text: string, what: string): Report {
  const report = JSON.parse(text) as Report;
  assert.ok(validate(report), `${what}: ${JSON.stringify(validate.errors, null, 2)}`);
  assert.ok(report.version.startsWith("15."), `${what}: declares a 15.x schema`);
  const ids = report.vulnerabilities.map((v) => v.id);
  assert.equal(new Set(ids).size, ids.length, `${what}: vulnerability ids are unique`);
  for (const id of ids)
    assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, `${what}: UUID ids`);
  return report;
}

describe("formatGitlab golden files", () => {
  for (const g of goldenDecisions()) {
    test(`${g.name}: ${g.description}`, { skip: g.skip }, () => {
      const decision = g.decision as DecisionV1;
      const options = { ...OPTIONS, ...(g.facts ? { facts: g.facts } : {}) };
      const text = formatGitlab(decision, options);
      matchGolden(`gitlab/${g.name}.json`, text);
      const report = assertValidReport(text, g.name);
      const counting = decision.results.filter(
        (r) =>
          r.gate === "vulnerabilities" &&
          r.trigger === "package" &&
          !r.allowlisted &&
          r.effectiveAction !== "go",
      );
      assert.equal(report.vulnerabilities.length, new Set(counting.map((r) => r.triggerId)).size);
      assert.equal(formatGitlab(decision, options), text, "deterministic");
    });
  }
});

test("the golden files themselves meet the GitLab schema facts", () => {
  for (const g of goldenDecisions()) {
    if (g.skip) continue;
    const path = join(REPO_ROOT, "test/golden/gitlab", `${g.name}.json`);
    assertValidReport(readFileSync(path, "utf8"), path);
  }
});

const TRIVY_GITLAB = "scanners/trivy/upstream/alpine-310.gitlab.json";
test("the schema facts accept a real GitLab report (Trivy's, from the corpus)", {
  skip: skipWithoutCorpus(TRIVY_GITLAB),
}, () => {
  const trivy = JSON.parse(readFileSync(corpusPath(TRIVY_GITLAB), "utf8")) as {
    scan: { start_time: string };
    vulnerabilities: { location: Record<string, unknown> }[];
  };
  assert.ok(validate(trivy), JSON.stringify(validate.errors, null, 2));
  // And they are not vacuous: a report without a location or with a zoned time is refused.
  const broken = structuredClone(trivy);
  delete broken.vulnerabilities[0]?.location.operating_system;
  broken.scan.start_time = "2021-08-25T12:20:30Z";
  assert.equal(validate(broken), false);
});

function decision(results: ResultRow[], over: Partial<DecisionV1> = {}): DecisionV1 {
  return {
    schemaVersion: "1",
    decisionId: "00000000-0000-0000-0000-000000000001",
    image: {
      ref: "registry.example/team/app:2.0",
      registry: "registry.example",
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
    evaluatedAt: "2026-01-02T03:04:05.678Z",
    ...over,
  };
}

function row(over: Partial<ResultRow>): ResultRow {
  return {
    policyId: "p",
    ruleId: "r1",
    gate: "vulnerabilities",
    trigger: "package",
    triggerId: "CVE-2023-38408+openssh-server",
    message:
      "CRITICAL Vulnerability found in os package type (dpkg) - openssh-server (fixed in: 1:7.9p1-10+deb10u3)(CVE-2023-38408 - https://security-tracker.debian.org/tracker/CVE-2023-38408)",
    action: "stop",
    effectiveAction: "stop",
    status: "fired",
    ...over,
  };
}

const ROOT = row({
  gate: "dockerfile",
  trigger: "effective_user",
  triggerId: "cbff271f45d32e78dcc1979dbca9c14d",
  message: "User root found as effective user, which is explicity not allowed",
});

function report(d: DecisionV1): Report {
  return assertValidReport(formatGitlab(d, OPTIONS), "decision");
}

test("a vulnerability hit becomes a located vulnerability with CVE, fix and link", () => {
  const v = report(decision([row({})])).vulnerabilities[0];
  assert.deepEqual(v?.location, {
    dependency: { package: { name: "openssh-server" }, version: "unknown" },
    operating_system: "unknown",
    image: "registry.example/team/app:2.0",
  });
  assert.equal(v?.name, "CVE-2023-38408");
  assert.equal(v?.severity, "Critical");
  assert.equal(v?.solution, "Upgrade openssh-server to 1:7.9p1-10+deb10u3");
  assert.deepEqual(v?.identifiers[0], {
    type: "cve",
    name: "CVE-2023-38408",
    value: "CVE-2023-38408",
    url: "https://security-tracker.debian.org/tracker/CVE-2023-38408",
  });
  assert.deepEqual(v?.identifiers[1]?.value, "CVE-2023-38408+openssh-server");
  assert.deepEqual(v?.links, [{ url: "https://security-tracker.debian.org/tracker/CVE-2023-38408" }]);
  assert.match(v?.description ?? "", /rule r1 \(vulnerabilities\/package\): STOP/);
});

test("severity: from the finding, else stop → High and warn → Medium", () => {
  const sev = (over: Partial<ResultRow>) => report(decision([row(over)])).vulnerabilities[0]?.severity;
  assert.equal(
    sev({ message: "LOW Vulnerability found in os package type (apk) - musl (CVE-2023-38408 - None)" }),
    "Low",
  );
  assert.equal(
    sev({
      message: "NEGLIGIBLE Vulnerability found in os package type (apk) - musl (CVE-2023-38408 - None)",
    }),
    "Info",
  );
  assert.equal(sev({ message: "unreadable", action: "stop" }), "High");
  assert.equal(sev({ message: "unreadable", action: "warn", effectiveAction: "warn" }), "Medium");
});

test("ids are deterministic per image and trigger id", () => {
  const a = report(decision([row({})])).vulnerabilities[0]?.id;
  assert.equal(report(decision([row({})])).vulnerabilities[0]?.id, a);
  const other = decision([row({})], {
    image: { ref: "registry.example/team/app:2.1", registry: "registry.example", repository: "team/app" },
  });
  assert.notEqual(report(other).vulnerabilities[0]?.id, a);
});

test("the same finding under two rules is one vulnerability naming both rules", () => {
  const r = report(decision([row({}), row({ ruleId: "r2", action: "warn", effectiveAction: "warn" })]));
  assert.equal(r.vulnerabilities.length, 1);
  assert.match(r.vulnerabilities[0]?.description ?? "", /rule r1[^\n]*STOP\.\n[^\n]*rule r2[^\n]*WARN\./);
});

test("other policy findings and suppressed hits are scan messages, not vulnerabilities", () => {
  const r = report(
    decision([
      ROOT,
      row({
        effectiveAction: "go",
        allowlisted: { allowlistId: "al", itemId: "i1", pattern: "CVE-2023-38408+*" },
      }),
      row({ triggerId: "CVE-2023-1+x", effectiveAction: "go", vex: { status: "not_affected" } }),
      row({ triggerId: "CVE-2023-2+y" }),
    ]),
  );
  assert.deepEqual(
    r.vulnerabilities.map((v) => v.identifiers[1]?.value),
    ["CVE-2023-2+y"],
  );
  const messages = r.scan.messages.map((m) => `${m.level} ${m.value}`);
  assert.match(
    messages[0] ?? "",
    /^info CIPolicE FAIL: final action STOP \(policy evaluation\) for registry\.example\/team\/app:2\.0; 1 vulnerability reported; 3 other findings in the messages below$/,
  );
  assert.match(
    messages[1] ?? "",
    /^warn STOP dockerfile\/effective_user \[cbff271f45d32e78dcc1979dbca9c14d\] \(p \/ r1\): User root/,
  );
  assert.match(
    messages[2] ?? "",
    /^info Not counted \(Allowlisted by al item i1 \(CVE-2023-38408\+\*\)\): STOP vulnerabilities\/package/,
  );
  assert.match(
    messages[3] ?? "",
    /^info Not counted \(VEX not_affected\): STOP vulnerabilities\/package \[CVE-2023-1\+x\]/,
  );
});

test("scan: UTC time without fraction, success unless the bundle is invalid, problems as messages", () => {
  const ok = JSON.parse(
    formatGitlab(
      decision([], { problems: [{ level: "warning", code: "CIP_X", message: "something" }] }),
      OPTIONS,
    ),
  );
  assert.equal(ok.scan.start_time, "2026-01-02T03:04:05");
  assert.equal(ok.scan.status, "success");
  assert.deepEqual(ok.scan.messages.at(-1), { level: "warn", value: "CIP_X: something" });
  assert.equal(ok.version, GITLAB_REPORT_VERSION);
  const bad = report(decision([], { reason: "bundle_invalid" }));
  assert.equal(bad.scan.status, "failure");
  assert.equal(bad.scan.messages.at(-1)?.level, "fatal");
  const denied = report(
    decision([], {
      reason: "denylisted",
      deniedImage: { id: "no", registry: "*", repository: "*", image: { type: "tag", value: "*" } },
    }),
  );
  assert.match(denied.scan.messages[1]?.value ?? "", /^STOP: image matches denied-images rule no$/);
});

test("hostile text stays data: valid JSON, exact round trip, limits kept", () => {
  const hostile = `<script>alert("x")</script> & "quoted" \u0000\u001b[31m\r\n\u2028`;
  const text = formatGitlab(
    decision([
      row({ triggerId: `CVE-2024-1+${hostile}`, message: `${hostile}${"A".repeat(2_000_000)}` }),
      row({ triggerId: `${"X".repeat(300)}+pkg`, message: hostile, gate: "vulnerabilities" }),
      { ...ROOT, message: hostile },
    ]),
    OPTIONS,
  );
  assert.ok(!hasRawControl(text), "control characters are escaped");
  const r = assertValidReport(text, "hostile");
  assert.equal(r.vulnerabilities[0]?.location.dependency.package.name, hostile);
  assert.ok(r.vulnerabilities[0]?.description.startsWith(hostile));
  assert.ok((r.vulnerabilities[0]?.description.length ?? 0) <= 1_048_576);
  assert.ok((r.vulnerabilities[1]?.name.length ?? 0) <= 255);
  assert.ok(r.scan.messages.some((m) => m.value.endsWith(hostile)));
});

/** True when text holds a raw control character other than the pretty-printer's line feeds. */
function hasRawControl(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c < 0x20 && c !== 0x0a) || c === 0x7f) return true;
  }
  return false;
}

test("with the facts: package name and installed version apart, the distribution, and the fix as solution", () => {
  const facts = {
    ref: { registry: "registry.example", repository: "team/app", tag: "2.0" },
    distro: { name: "alpine", version: "3.10" },
    vulnerabilities: [
      {
        id: "CVE-2019-14697",
        package: { name: "musl", version: "1.1.22-r2", type: "apk" },
        severity: "critical",
        fix: { state: "fixed", versions: ["1.1.22-r3"] },
      },
    ],
  } as ImageFacts;
  // anchore's message leaves the fix out when the rule does not ask for it: the facts still know it.
  const hit = row({
    triggerId: "CVE-2019-14697+musl",
    message: "CRITICAL Vulnerability found in os package type (APKG) - musl (CVE-2019-14697 - None)",
  });
  const text = formatGitlab(decision([hit]), { ...OPTIONS, facts });
  const v = assertValidReport(text, "with facts").vulnerabilities[0];
  assert.deepEqual(v?.location, {
    dependency: { package: { name: "musl" }, version: "1.1.22-r2" },
    operating_system: "alpine 3.10",
    image: "registry.example/team/app:2.0",
  });
  assert.equal(v?.solution, "Upgrade musl to 1.1.22-r3");
});
