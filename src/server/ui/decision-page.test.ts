import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { DecisionV1, ResultRow } from "../../model/index.js";
import type { DecisionRecord } from "../../service/store-ports.js";
import { renderDecisionPage } from "./decision-page.js";

const NOW = new Date("2026-12-07T12:00:00Z");

function row(over: Partial<ResultRow>): ResultRow {
  return {
    policyId: "p",
    gate: "vulnerabilities",
    trigger: "package",
    triggerId: "CVE-2099-1+openssl",
    message: "CRITICAL Vulnerability found",
    action: "stop",
    effectiveAction: "stop",
    status: "fired",
    ...over,
  };
}

const DECISION: DecisionV1 = {
  schemaVersion: "1",
  decisionId: "0d1c-1",
  image: { ref: "docker.io/team/shop:1.0", registry: "docker.io", repository: "team/shop", tag: "1.0" },
  bundle: { id: "b", name: "Example", digest: "sha256:0123" },
  mapping: { id: "production", name: "Production", index: 0 },
  policies: [{ id: "p", name: "Vulnerabilities" }],
  finalAction: "stop",
  policyAction: "stop",
  status: "fail",
  reason: "policy_evaluation",
  results: [
    row({ triggerId: "CVE-2099-3+zlib", action: "warn", effectiveAction: "warn", message: "MEDIUM" }),
    row({
      triggerId: "CVE-2099-2+curl",
      effectiveAction: "go",
      allowlisted: {
        allowlistId: "exceptions",
        allowlistName: "Reviewed exceptions",
        itemId: "curl-accepted",
        pattern: "CVE-2099-2+*",
        reason: "not reachable",
        owner: "team-web",
        expiresOn: "2026-12-10T00:00:00Z",
      },
    }),
    row({
      triggerId: "CVE-2099-4+libx",
      effectiveAction: "go",
      vex: { status: "not_affected", justification: "vulnerable_code_not_present", document: "vex.json" },
    }),
    row({ message: `<img src=x onerror="window.pwned=1">`, ruleId: "critical-stop" }),
  ],
  problems: [{ level: "warning", code: "CIP_ALLOWLIST_EXPIRING", message: "expires <soon>" }],
  evaluatedAt: "2026-12-07T11:00:00Z",
};

const RECORD: DecisionRecord = {
  decisionId: "0d1c-1",
  image: "docker.io/team/shop:1.0",
  digest: `sha256:${"e".repeat(64)}`,
  outcome: "fail",
  origin: "admission",
  namespace: "prod",
  decidedAt: "2026-12-07T11:00:00Z",
  decision: DECISION,
};

describe("one decision's page", () => {
  test("lists every row, stop first, with what suppressed it", () => {
    const html = renderDecisionPage({ record: RECORD, decisionId: "0d1c-1", searched: 10, now: NOW });
    const rows = [...html.matchAll(/<tr data-testid="result-row" data-effective="(\w+)">(.*?)<\/tr>/g)];
    assert.deepEqual(
      rows.map((m) => m[1]),
      ["stop", "warn", "go", "go"],
    );
    assert.match(rows[0]?.[2] ?? "", /&lt;img src=x onerror=&quot;window.pwned=1&quot;&gt;/);
    assert.match(rows[0]?.[2] ?? "", /Vulnerabilities <span class="dim">\/ critical-stop/);
    assert.match(
      rows[2]?.[2] ?? "",
      /allowlist <b>Reviewed exceptions<\/b> item <b>curl-accepted<\/b> <code>CVE-2099-2\+\*<\/code><br><span class="dim">not reachable · owner team-web · expires 2026-12-10T00:00:00Z/,
    );
    assert.match(rows[3]?.[2] ?? "", /VEX <b>not_affected<\/b> \(vulnerable_code_not_present\)/);
    assert.ok(!/<img/.test(html));
    assert.match(html, /data-testid="rows-count">4</);
    assert.match(html, /expires &lt;soon&gt;/);
    assert.match(html, /href="\/ui\/containers\?q=sha256%3Aeeee/);
  });

  test("an unknown outcome without a decision, and an id not found", () => {
    const unknown = renderDecisionPage({
      record: { ...RECORD, outcome: "unknown", reason: "no scan data <b>", decision: undefined },
      decisionId: "x",
      searched: 1,
      now: NOW,
    });
    assert.match(unknown, /no scan data &lt;b&gt;/);
    assert.match(unknown, /data-testid="empty">The engine was not asked/);
    const missing = renderDecisionPage({ record: undefined, decisionId: "<nope>", searched: 1000, now: NOW });
    assert.match(missing, /No decision <code>&lt;nope&gt;<\/code> among the newest 1000 stored/);
  });
});
