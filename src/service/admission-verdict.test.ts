import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { DecisionV1, ResultRow } from "../model/index.js";
import { admissionVerdict, failModeFor, verdictFor } from "./admission-verdict.js";
import type { Assessment } from "./assess-image.js";

function row(action: "stop" | "warn", message: string): ResultRow {
  return {
    policyId: "p",
    gate: "vulnerabilities",
    trigger: "package",
    triggerId: message,
    message,
    action,
    effectiveAction: action,
    status: "fired",
  };
}

function assessment(outcome: Assessment["outcome"], rows: ResultRow[] = [], reason?: string): Assessment {
  const decision = {
    status: outcome === "fail" ? "fail" : "pass",
    reason: "policy_evaluation",
    results: rows,
  } as unknown as DecisionV1;
  return {
    image: "registry.example/app:1",
    outcome,
    decisions: outcome === "unknown" ? [] : [decision],
    ...(reason ? { reason } : {}),
    cache: "miss",
  };
}

describe("fail modes", () => {
  const rules = [
    { namespaces: ["dev-*", "sandbox"], mode: "open" as const },
    { namespaces: ["audit"], mode: "warn" as const },
  ];

  it("chooses the first rule whose pattern matches the namespace, in any case, else the default", () => {
    assert.equal(failModeFor("dev-team1", rules, "closed"), "open");
    assert.equal(failModeFor("SANDBOX", rules, "closed"), "open");
    assert.equal(failModeFor("audit", rules, "closed"), "warn");
    assert.equal(failModeFor("prod", rules, "closed"), "closed");
    assert.equal(failModeFor(undefined, rules, "closed"), "closed");
  });

  it("denies an unknown image when closed, naming why it could not be decided", () => {
    const v = verdictFor(assessment("unknown", [], "no scan data is stored for sha256:abc"), "closed");
    assert.equal(v.allowed, false);
    assert.match(
      v.denial ?? "",
      /registry\.example\/app:1 denied by fail mode closed: it cannot be decided: no scan data/,
    );
  });

  it("allows an unknown image with a warning when open or warn", () => {
    for (const mode of ["open", "warn"] as const) {
      const v = verdictFor(assessment("unknown", [], "registry unreachable"), mode);
      assert.equal(v.allowed, true);
      assert.match(
        v.warnings[0] ?? "",
        new RegExp(`allowed by fail mode ${mode} without a decision: registry unreachable`),
      );
    }
  });

  it("denies a failing image in closed and open modes, and only warns in warn (audit) mode", () => {
    const failing = assessment("fail", [row("stop", "CVE-2024-1 critical in openssl")]);
    for (const mode of ["closed", "open"] as const) {
      const v = verdictFor(failing, mode);
      assert.equal(v.allowed, false);
      assert.match(
        v.denial ?? "",
        /denied by policy: vulnerabilities\/package: CVE-2024-1 critical in openssl/,
      );
    }
    const audit = verdictFor(failing, "warn");
    assert.equal(audit.allowed, true);
    assert.match(
      audit.warnings[0] ?? "",
      /allowed by fail mode warn, though the policy denies it: vulnerabilities\/package/,
    );
  });

  it("returns WARN rows of a passing image as warnings, and counts those beyond five", () => {
    const rows = Array.from({ length: 8 }, (_, i) => row("warn", `finding ${i}`));
    const v = verdictFor(assessment("pass", rows), "closed");
    assert.equal(v.allowed, true);
    assert.equal(v.warnings.length, 6);
    assert.match(v.warnings[0] ?? "", /WARN vulnerabilities\/package: finding 0/);
    assert.equal(v.warnings[5], "registry.example/app:1: 3 more WARN results");
  });

  it("allows a request only when every image is allowed, and names each denied image", () => {
    const ok = verdictFor(assessment("pass"), "closed");
    const bad = verdictFor(assessment("fail", [row("stop", "tag latest")]), "closed");
    const unknown = verdictFor({ ...assessment("unknown", [], "deadline"), image: "other:2" }, "closed");
    assert.deepEqual(admissionVerdict([ok]), { allowed: true, warnings: [] });
    const answer = admissionVerdict([ok, bad, unknown]);
    assert.equal(answer.allowed, false);
    assert.match(
      answer.message ?? "",
      /registry\.example\/app:1 is denied by policy: .*tag latest; other:2 denied by fail mode closed: it cannot be decided: deadline/,
    );
  });
});
