import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { REPO_ROOT } from "../../test/support/corpus.js";
import type { DecisionV1, ImageFacts, ResultRow, Vulnerability } from "../model/index.js";
import {
  clip,
  findingDetail,
  rowSeverity,
  stableUuid,
  suppressionOf,
  TOOL_VERSION,
  vulnerabilityHit,
} from "./finding-parts.js";

const row = (over: Partial<ResultRow>): ResultRow => ({
  policyId: "p",
  gate: "vulnerabilities",
  trigger: "package",
  triggerId: "CVE-2023-38408+openssh-server",
  message: "",
  action: "stop",
  effectiveAction: "stop",
  status: "fired",
  ...over,
});

describe("vulnerabilityHit", () => {
  test("reads an OS package hit with a fix", () => {
    const hit = vulnerabilityHit(
      row({
        message:
          "CRITICAL Vulnerability found in os package type (dpkg) - openssh-server (fixed in: 1:7.9p1-10+deb10u3)(CVE-2023-38408 - https://security-tracker.debian.org/tracker/CVE-2023-38408)",
      }),
    );
    assert.deepEqual(hit, {
      id: "CVE-2023-38408",
      packageKey: "openssh-server",
      severity: "critical",
      packageClass: "os",
      packageType: "dpkg",
      fixedIn: "1:7.9p1-10+deb10u3",
      url: "https://security-tracker.debian.org/tracker/CVE-2023-38408",
    });
  });

  test("reads a non-OS hit with a path, score parts and no fix", () => {
    const hit = vulnerabilityHit(
      row({
        triggerId: "CVE-2021-44228+log4j-core-2.14.1.jar",
        message:
          "HIGH Vulnerability found in non-os package type (java) - /app/lib/log4j-core-2.14.1.jar (cvss_v3_base_score=10.0)(CVE-2021-44228 - https://nvd.nist.gov/vuln/detail/CVE-2021-44228)",
      }),
    );
    assert.equal(hit?.packagePath, "/app/lib/log4j-core-2.14.1.jar");
    assert.equal(hit?.packageKey, "log4j-core-2.14.1.jar");
    assert.equal(hit?.fixedIn, undefined);
    assert.equal(hit?.url, "https://nvd.nist.gov/vuln/detail/CVE-2021-44228");
  });

  test("Python's None stands for no path and no URL", () => {
    const hit = vulnerabilityHit(
      row({
        triggerId: "GHSA-xxxx-yyyy-zzzz+left-pad-1.0.0",
        message: "LOW Vulnerability found in non-os package type (npm) - None (GHSA-xxxx-yyyy-zzzz - None)",
      }),
    );
    assert.equal(hit?.packagePath, undefined);
    assert.equal(hit?.url, undefined);
    assert.equal(hit?.severity, "low");
  });

  test("a package name with + splits at the first +", () => {
    assert.equal(vulnerabilityHit(row({ triggerId: "CVE-2020-1+libstdc++6" }))?.packageKey, "libstdc++6");
  });

  test("an unreadable message still gives id and package", () => {
    assert.deepEqual(vulnerabilityHit(row({ message: "something else" })), {
      id: "CVE-2023-38408",
      packageKey: "openssh-server",
    });
  });

  test("other rows are not vulnerability hits", () => {
    assert.equal(vulnerabilityHit(row({ gate: "dockerfile", trigger: "effective_user" })), undefined);
    assert.equal(vulnerabilityHit(row({ trigger: "stale_feed_data", triggerId: "f73d935b" })), undefined);
    assert.equal(vulnerabilityHit(row({ triggerId: "no-plus-sign" })), undefined);
    assert.equal(vulnerabilityHit(row({ status: "error" })), undefined);
  });
});

test("rowSeverity: the finding's severity, else stop → high, warn → medium", () => {
  assert.equal(
    rowSeverity(row({ message: "LOW Vulnerability found in os package type (apk) - musl (CVE-1 - None)" })),
    "low",
  );
  assert.equal(rowSeverity(row({ gate: "dockerfile", action: "stop" })), "high");
  assert.equal(rowSeverity(row({ gate: "dockerfile", action: "warn" })), "medium");
  assert.equal(rowSeverity(row({ gate: "dockerfile", action: "go" })), "unknown");
  assert.equal(
    rowSeverity(
      row({
        action: "warn",
        message: "UNKNOWN Vulnerability found in os package type (apk) - musl (CVE-1 - None)",
      }),
    ),
    "medium",
  );
});

test("stableUuid is deterministic, UUID-shaped (version 8) and differs by input", () => {
  const a = stableUuid("img", "CVE-1+x");
  assert.equal(a, stableUuid("img", "CVE-1+x"));
  assert.match(a, /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.notEqual(a, stableUuid("img", "CVE-1+y"));
  assert.notEqual(stableUuid("a\nb", "c"), stableUuid("a", "b\nc"));
});

test("clip keeps short text and cuts long text to the limit without splitting a surrogate pair", () => {
  assert.equal(clip("abc", 3), "abc");
  assert.equal(clip("abcdef", 4), "abc…");
  const cut = clip(`ab${"😀".repeat(5)}`, 4);
  assert.ok(cut.length <= 4);
  assert.ok(!/[\uD800-\uDBFF]…$/.test(cut), cut);
});

test("suppressionOf: allowlist item, VEX statement, allowed image, or nothing", () => {
  const decision = { reason: "policy_evaluation" } as DecisionV1;
  const allow = suppressionOf(
    decision,
    row({
      effectiveAction: "go",
      allowlisted: { allowlistId: "al", itemId: "i1", pattern: "CVE-*", reason: "why", owner: "team" },
    }),
  );
  assert.equal(allow?.by, "allowlist");
  assert.equal(allow?.justification, "Allowlisted by al item i1 (CVE-*): why, owner team");
  const vex = suppressionOf(
    decision,
    row({ effectiveAction: "go", vex: { status: "not_affected", justification: "j" } }),
  );
  assert.equal(vex?.by, "vex");
  assert.equal(vex?.justification, "VEX not_affected (j)");
  assert.equal(suppressionOf(decision, row({ vex: { status: "affected" } })), undefined);
  assert.equal(suppressionOf(decision, row({})), undefined);
  const allowed = {
    reason: "allowlisted",
    allowedImage: { name: "trusted", registry: "*", repository: "*", image: { type: "tag", value: "*" } },
  } as DecisionV1;
  assert.equal(
    suppressionOf(allowed, row({}))?.justification,
    "Image allowed by allowed-images rule trusted",
  );
});

test("TOOL_VERSION is package.json's version", () => {
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { version: string };
  assert.equal(TOOL_VERSION, pkg.version);
});

test("findingDetail: the facts' package, installed version, fix and CVSS for the package the trigger id names", () => {
  const v = (
    name: string,
    version: string,
    path: string,
    over: Partial<Vulnerability> = {},
  ): Vulnerability => ({
    id: "CVE-2022-25883",
    package: { name, version, type: "npm", path },
    severity: "high",
    fix: { state: "fixed", versions: ["7.5.2"] },
    ...over,
  });
  const facts = {
    ref: { registry: "docker.io", repository: "library/app" },
    vulnerabilities: [
      v("semver", "6.3.0", "/app/node_modules/old/node_modules/semver/package.json", {
        fix: { state: "fixed", versions: ["6.3.1"] },
      }),
      v("semver", "7.5.1", "/app/node_modules/semver/package.json", {
        cvss: [
          { version: "3.1", source: "vendor", baseScore: 5.3 },
          { version: "3.1", source: "nvd", baseScore: 7.5 },
        ],
      }),
    ],
  } as ImageFacts;
  const r = row({
    triggerId: "CVE-2022-25883+node_modules",
    message:
      "HIGH Vulnerability found in non-os package type (npm) - /app/node_modules/semver/package.json (CVE-2022-25883 - https://nvd.nist.gov/vuln/detail/CVE-2022-25883)",
  });
  const hit = vulnerabilityHit(r);
  assert.ok(hit);
  assert.deepEqual(findingDetail(r, hit, facts), {
    id: "CVE-2022-25883",
    severity: "high",
    packageName: "semver",
    installed: "7.5.1",
    fixedIn: "7.5.2",
    fixState: "fixed",
    cvssScore: 7.5,
    url: "https://nvd.nist.gov/vuln/detail/CVE-2022-25883",
  });
  // Without the facts: what the row itself says.
  assert.deepEqual(findingDetail(r, hit), {
    id: "CVE-2022-25883",
    severity: "high",
    packageName: "node_modules",
    url: "https://nvd.nist.gov/vuln/detail/CVE-2022-25883",
  });
});
