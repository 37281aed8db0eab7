import assert from "node:assert/strict";
import { test } from "node:test";
import { goldenDecisions, matchGolden } from "../../test/support/golden.js";
import type { DecisionV1, Problem, ResultRow } from "../model/index.js";
import {
  cell,
  formatMarkdown,
  GITHUB_COMMENT_LIMIT,
  MARKDOWN_BUDGET,
  TOP_FINDINGS,
} from "./markdown-format.js";

const OPTIONS = { color: false };

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

/** Pipes that end a cell: those not escaped by an odd number of backslashes. */
function cellBreaks(line: string): number {
  return [...line.matchAll(/(\\*)\|/g)].filter((m) => (m[1]?.length ?? 0) % 2 === 0).length;
}

/** Asserts every table row has as many cells as its header and that `<details>` blocks are balanced. */
function assertWellFormed(md: string): void {
  let columns = 0;
  for (const line of md.split("\n")) {
    if (!line.startsWith("|")) {
      columns = 0;
      continue;
    }
    if (columns === 0) columns = cellBreaks(line);
    else
      assert.equal(
        cellBreaks(line),
        columns,
        `row has the header's ${columns - 1} cells: ${line.slice(0, 200)}`,
      );
  }
  assert.equal(md.match(/<details>/g)?.length ?? 0, md.match(/<\/details>/g)?.length ?? 0);
}

/** Each collapsed section: its title, the count in its summary, the rows shown and the rows its note says it left out. */
function sections(md: string): { title: string; total: number; shown: number; left: number }[] {
  return [...md.matchAll(/<summary>(.+) \((\d+)\)<\/summary>\n([\s\S]*?)<\/details>/g)].map((m) => {
    const body = m[3] ?? "";
    return {
      title: m[1] ?? "",
      total: Number(m[2]),
      shown: body.split("\n").filter((l) => l.startsWith("| ")).length - 1,
      left: Number(/^_(\d+) of \d+ rows left out/m.exec(body)?.[1] ?? 0),
    };
  });
}

for (const g of goldenDecisions()) {
  test(`markdown golden: ${g.name} (${g.description})`, { skip: g.skip }, () => {
    const md = formatMarkdown(g.decision as DecisionV1, OPTIONS);
    matchGolden(`markdown/${g.name}.md`, md);
    assertWellFormed(md);
    const d = g.decision as DecisionV1;
    assert.match(
      md.split("\n")[0] ?? "",
      d.status === "pass" ? /^### PASS: final action / : /^### FAIL: final action /,
    );
  });
}

test("the verdict line comes first with PASS or FAIL, final action, reason and image", () => {
  const fail = formatMarkdown(decision([row()]), OPTIONS);
  assert.equal(
    fail.split("\n")[0],
    "### FAIL: final action STOP (policy evaluation) for `registry.test/team/app:1.0`",
  );
  const denied = formatMarkdown(
    decision([], {
      finalAction: "stop",
      status: "fail",
      reason: "denylisted",
      deniedImage: {
        name: "no-app",
        registry: "*",
        repository: "team/app",
        image: { type: "tag", value: "*" },
      },
    }),
    OPTIONS,
  );
  assert.match(denied, /^### FAIL: final action STOP \(denylisted\) for /);
  assert.match(denied, /denied-images rule no-app/);
  const pass = formatMarkdown(decision([]), OPTIONS);
  assert.match(pass, /^### PASS: final action GO \(policy evaluation\)/);
  assert.match(pass, /\nNo STOP or WARN findings\.\n/);
  assert.ok(!pass.includes("<details>"), "nothing to detail");
});

test("the summary counts allowlisted and VEX-suppressed hits apart from the actions", () => {
  const md = formatMarkdown(
    decision([
      row(),
      row({ triggerId: "w", action: "warn", effectiveAction: "warn" }),
      row({ triggerId: "e", status: "error", errorCode: "CIP_X", effectiveAction: "warn" }),
      row({
        triggerId: "a",
        effectiveAction: "go",
        allowlisted: { allowlistId: "l", itemId: "i", pattern: "*" },
      }),
      row({ triggerId: "v", effectiveAction: "go", vex: { status: "fixed" } }),
    ]),
    OPTIONS,
  );
  assert.match(
    md,
    /\| STOP \| WARN \| GO \| Errors \| Allowlisted \| Suppressed by VEX \| Problems \|\n\|---:.*\n\| 1 \| 1 \| 0 \| 1 \| 1 \| 1 \| 0 \|\n/,
  );
  assert.match(md, /<summary>All findings \(3\)<\/summary>/);
  assert.match(md, /<summary>Allowlisted \(1\)<\/summary>/);
  assert.match(md, /<summary>Suppressed by VEX \(1\)<\/summary>/);
});

test("top findings: STOP first, errors, then WARN, worst severity first, at most 20", () => {
  const rows: ResultRow[] = [];
  for (let i = 0; i < 30; i++) {
    rows.push(row({ triggerId: `w${i}`, action: "warn", effectiveAction: "warn", message: `LOW warn ${i}` }));
  }
  rows.push(
    row({ triggerId: "s-medium", message: "MEDIUM stop" }),
    row({ triggerId: "s-none", message: "User root found" }),
    row({ triggerId: "s-critical", message: "CRITICAL stop" }),
    row({ triggerId: "w-high", action: "warn", effectiveAction: "warn", message: "HIGH warn" }),
    row({ triggerId: "err", status: "error", errorCode: "CIP_E", effectiveAction: "warn", message: "broke" }),
    row({ triggerId: "go", action: "go", effectiveAction: "go", message: "CRITICAL but go" }),
  );
  const md = formatMarkdown(decision(rows), OPTIONS);
  assert.ok(
    md.includes(
      '**Top findings**: 20 of 35 STOP and WARN findings shown here, 15 left out; the "All findings" section below lists all 36.',
    ),
  );
  const top =
    md.split("| Action | Rule | Gate / trigger | Message |\n|---|---|---|---|\n")[1]?.split("\n\n")[0] ?? "";
  const messages = top.split("\n").map((l) => l.split(" | ").at(-1)?.replace(/ \|$/, ""));
  assert.equal(messages.length, TOP_FINDINGS);
  assert.deepEqual(messages.slice(0, 6), [
    "CRITICAL stop",
    "MEDIUM stop",
    "User root found",
    "broke",
    "HIGH warn",
    "LOW warn 0",
  ]);
  assert.ok(top.includes("| ERROR `CIP_E` |"));
  assert.ok(!top.includes("CRITICAL but go"), "GO rows are not top findings");
  assert.match(md, /<summary>All findings \(36\)<\/summary>/);
});

test("a decision with 5,000 rows stays under GitHub's comment limit and says what it left out", () => {
  const rows: ResultRow[] = [];
  for (let i = 0; i < 5000; i++) {
    const allowlisted =
      i % 10 === 0
        ? { allowlistId: "l", itemId: `item-${i}`, pattern: "*", reason: "accepted risk", owner: "team" }
        : undefined;
    rows.push(
      row({
        triggerId: `CVE-2024-${i}+pkg-${i}`,
        action: i % 3 === 0 ? "stop" : "warn",
        effectiveAction: allowlisted ? "go" : i % 3 === 0 ? "stop" : "warn",
        message: `HIGH Vulnerability found in os package type (dpkg) - pkg-${i} (CVE-2024-${i} - https://nvd.example/CVE-2024-${i})`,
        ...(allowlisted ? { allowlisted } : {}),
      }),
    );
  }
  const problems: Problem[] = Array.from({ length: 800 }, (_, i) => ({
    level: "warning",
    code: "CIP_ALLOWLIST_EXPIRED",
    message: `Allowlist item ${i} expired`,
    itemId: `old-${i}`,
  }));
  const md = formatMarkdown(decision(rows, { problems }), OPTIONS);
  assert.ok(md.length <= MARKDOWN_BUDGET, `${md.length} characters`);
  assert.ok(md.length < GITHUB_COMMENT_LIMIT);
  assertWellFormed(md);
  const found = sections(md);
  assert.deepEqual(
    found.map((x) => [x.title, x.total]),
    [
      ["All findings", 4500],
      ["Allowlisted", 500],
      ["Problems", 800],
    ],
  );
  // The heading says how many the comment shows and where the rest are.
  const all = found[0];
  assert.ok(all);
  assert.ok(
    md.includes(
      `**Top findings**: 20 of 4500 STOP and WARN findings shown here, 4480 left out; the "All findings" section below lists ${all.shown} of 4500 (${4500 - all.shown} left out to stay under GitHub's comment limit); the json and sarif outputs (\`--format json\`, \`--format sarif\`) list every row.`,
    ),
  );
  for (const x of found) {
    assert.match(
      md,
      new RegExp(
        `_${x.left} of ${x.total} rows left out to stay under GitHub's comment limit \\(${x.shown} shown\\); the json and sarif outputs`,
      ),
    );
    assert.equal(x.shown + x.left, x.total, `${x.title}: every row is shown or counted as left out`);
    assert.ok(x.left > 0 && x.shown > 20, `${x.title} is cut but shows a fair share (${x.shown})`);
  }
});

test("even the worst escaping growth stays under the limit", () => {
  const hostile = "<".repeat(5000);
  const rows = Array.from({ length: 5000 }, (_, i) =>
    row({ triggerId: `t${i}`, message: hostile, ruleId: "|".repeat(600) }),
  );
  const md = formatMarkdown(decision(rows), OPTIONS);
  assert.ok(md.length <= MARKDOWN_BUDGET, `${md.length} characters`);
  assertWellFormed(md);
});

test("cells escape Markdown and HTML: pipes, backticks, angle brackets, newlines, mentions", () => {
  assert.equal(cell("a|b"), "a\\|b");
  assert.equal(cell("`rm -rf`"), "\\`rm -rf\\`");
  assert.equal(cell('<script>alert("x")</script>'), '&lt;script&gt;alert("x")&lt;/script&gt;');
  assert.equal(cell("a & b &amp;"), "a &amp; b &amp;amp;");
  assert.equal(cell("one\ntwo\r\nthree\rfour"), "one<br>two<br>three<br>four");
  assert.equal(
    cell("*bold* _it_ ~s~ [x](http://e) \\ $x$"),
    "\\*bold\\* \\_it\\_ \\~s\\~ \\[x\\](http://e) \\\\ \\$x\\$",
  );
  assert.equal(
    cell("ping @octocat and @org/team, mail a@b.test"),
    "ping @\u200Boctocat and @\u200Borg/team, mail a@b.test",
  );
  assert.equal(
    cell("bell\u0007 esc\u001b[31m del\u007f tab\there"),
    "bell\uFFFD esc\uFFFD\\[31m del\uFFFD tab here",
  );
  assert.equal(cell("evil\u202Etxt.exe"), "evil\uFFFDtxt.exe");
  const long = cell("x".repeat(10_000));
  assert.equal([...long].length, 500);
  assert.ok(long.endsWith("…"));
});

test("hostile text in every field keeps the tables intact and no HTML through", () => {
  const hostile = "x | y `z` <img src=x onerror=alert(1)> </details> \n| --- |\n@admin";
  const md = formatMarkdown(
    decision(
      [
        row({
          message: hostile,
          ruleId: hostile,
          gate: hostile,
          trigger: hostile,
          triggerId: `id|${hostile}`,
        }),
        row({
          triggerId: "a`b|c",
          effectiveAction: "go",
          allowlisted: {
            allowlistId: hostile,
            itemId: hostile,
            pattern: "*",
            reason: hostile,
            owner: hostile,
            expiresOn: hostile,
          },
        }),
        row({
          triggerId: "v",
          effectiveAction: "go",
          vex: { status: "not_affected", justification: hostile, statement: hostile },
        }),
      ],
      {
        problems: [{ level: "error", code: hostile, message: hostile, policyId: hostile }],
        policies: [{ id: "p1", name: hostile }],
        bundle: { id: "b", name: hostile, digest: "sha256:1" },
      },
    ),
    OPTIONS,
  );
  assertWellFormed(md);
  assert.ok(!md.includes("<img"), "no raw HTML tag");
  assert.equal(md.match(/<\/details>/g)?.length, 4, "only our own closing tags");
  assert.ok(!md.includes("@admin"), "no live mention");
  assert.ok(md.includes("| a\\`b\\|c |"), "a trigger id with a backtick falls back to escaped text");
});
