import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { DecisionV1 } from "../../model/index.js";
import type { DecisionRecord } from "../../service/store-ports.js";
import { filterDecisions, readDecisionFilters, renderDecisionsPage } from "./decisions-page.js";

const NOW = new Date("2026-12-07T12:00:00Z");
const HOSTILE = `reg.example/<script>window.pwned=1</script>:"><img src=x onerror=alert(1)>`;

function record(id: string, over: Partial<DecisionRecord> = {}): DecisionRecord {
  return {
    decisionId: id,
    image: "docker.io/team/shop:1.0",
    outcome: "pass",
    origin: "admission",
    namespace: "prod",
    decidedAt: "2026-12-07T11:58:00Z",
    ...over,
  };
}

const decision = (finalAction: "go" | "stop"): DecisionV1 => ({
  schemaVersion: "1",
  decisionId: "d",
  image: { ref: "docker.io/library/nginx:1.25", registry: "docker.io", repository: "library/nginx" },
  bundle: { id: "b", digest: "sha256:00" },
  mapping: { index: 0 },
  policies: [],
  finalAction,
  policyAction: finalAction,
  status: finalAction === "stop" ? "fail" : "pass",
  reason: "policy_evaluation",
  results: [
    {
      policyId: "p",
      gate: "image_source",
      trigger: "repository_name",
      triggerId: "t1",
      message: "m",
      action: "stop",
      effectiveAction: "stop",
      status: "fired",
    },
  ],
  problems: [],
  evaluatedAt: "2026-12-07T11:00:00Z",
});

const RECORDS: DecisionRecord[] = [
  record("a", { outcome: "fail", image: "docker.io/library/nginx:1.25", decision: decision("stop") }),
  record("b", { namespace: "dev", origin: "api", digest: `sha256:${"d".repeat(64)}` }),
  record("c", { outcome: "unknown", reason: "no scan data", namespace: undefined, origin: "imagereview" }),
  record("d", { outcome: "fail", namespace: "dev", image: HOSTILE, reason: HOSTILE }),
];

describe("the decisions list", () => {
  test("reads its filters from the query and reports bad values", () => {
    const q = new URLSearchParams("outcome=fail&namespace=%20dev%20&origin=api&image=Nginx&limit=5");
    assert.deepEqual(readDecisionFilters(q), {
      filters: { outcome: "fail", namespace: "dev", origin: "api", image: "Nginx", limit: 5 },
      problems: [],
    });
    const bad = readDecisionFilters(new URLSearchParams(`outcome=maybe&limit=0&image=${"x".repeat(600)}`));
    assert.deepEqual(bad.filters, { limit: 100 });
    assert.equal(bad.problems.length, 3);
    assert.match(bad.problems.join("\n"), /outcome must be one of pass, fail, unknown, not "maybe"/);
  });

  test("filters by outcome, namespace, origin, image text (either case, or digest) and limit", () => {
    const ids = (q: string) =>
      filterDecisions(RECORDS, readDecisionFilters(new URLSearchParams(q)).filters).map((r) => r.decisionId);
    assert.deepEqual(ids(""), ["a", "b", "c", "d"]);
    assert.deepEqual(ids("outcome=fail"), ["a", "d"]);
    assert.deepEqual(ids("outcome=fail&namespace=dev"), ["d"]);
    assert.deepEqual(ids("origin=api"), ["b"]);
    assert.deepEqual(ids("image=NGINX"), ["a"]);
    assert.deepEqual(ids("image=dddd"), ["b"]);
    assert.deepEqual(ids("outcome=unknown"), ["c"]);
    assert.deepEqual(ids("limit=2"), ["a", "b"]);
  });

  test("renders hostile names as text, with a link to each decision", () => {
    const { filters } = readDecisionFilters(new URLSearchParams(`namespace=${encodeURIComponent('"><b>')}`));
    const html = renderDecisionsPage({
      filters: { ...filters, namespace: undefined },
      problems: [],
      read: RECORDS,
      windowFull: false,
      now: NOW,
    });
    assert.ok(!/<script|<img/i.test(html), "no markup from a stored value");
    assert.ok(html.includes("&lt;script&gt;window.pwned=1&lt;/script&gt;"));
    assert.equal(html.match(/data-testid="decision-row"/g)?.length, 4);
    assert.ok(html.includes('href="/ui/decisions/a"'));
    assert.ok(html.includes("2 min ago"));
    assert.ok(html.includes("4 shown of all 4 decisions stored."));
    // The filter form echoes a hostile filter value escaped
    const echoed = renderDecisionsPage({ filters, problems: [], read: [], windowFull: false, now: NOW });
    assert.ok(echoed.includes('value="&quot;&gt;&lt;b&gt;"'));
  });

  test("says when nothing is stored and when nothing matches", () => {
    const none = renderDecisionsPage({
      filters: { limit: 100 },
      problems: [],
      read: [],
      windowFull: false,
      now: NOW,
    });
    assert.match(none, /data-testid="empty">No decision is stored yet/);
    const nomatch = renderDecisionsPage({
      filters: { limit: 100, origin: "monitor" },
      problems: ['limit must be a whole number from 1 to 1000, not "0"'],
      read: RECORDS,
      windowFull: true,
      now: NOW,
    });
    assert.match(nomatch, /No decision matches these filters/);
    assert.match(nomatch, /0 shown of the newest 4 decisions/);
    assert.match(nomatch, /Ignored filter: limit must be a whole number from 1 to 1000, not &quot;0&quot;/);
  });
});
