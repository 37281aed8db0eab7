import assert from "node:assert/strict";
import { test } from "node:test";
import type { DecisionV1, ImageFacts, ResultRow } from "../model/index.js";
import { formatTable, wrap } from "./table-format.js";

function decision(results: ResultRow[]): DecisionV1 {
  return {
    schemaVersion: "1",
    decisionId: "00000000-0000-0000-0000-000000000001",
    image: { ref: "registry.example/team/app:2.0", registry: "registry.example", repository: "team/app" },
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
  };
}

function vuln(id: string, pkg: string, over: Partial<ResultRow> = {}): ResultRow {
  return {
    policyId: "p",
    ruleId: "r",
    gate: "vulnerabilities",
    trigger: "package",
    triggerId: `${id}+${pkg}`,
    message: `LOW Vulnerability found in os package type (dpkg) - ${pkg} (fixed in: 1:2.36.1-8+deb11u1)(${id} - https://security-tracker.debian.org/tracker/${id})`,
    action: "stop",
    effectiveAction: "stop",
    status: "fired",
    ...over,
  };
}

const ROOT: ResultRow = {
  policyId: "p",
  ruleId: "root",
  gate: "dockerfile",
  trigger: "effective_user",
  triggerId: "cbff",
  message: `User root found as effective user, which is explicity not allowed ${"and more words ".repeat(8)}`,
  action: "stop",
  effectiveAction: "stop",
  status: "fired",
};

const widths = (text: string) =>
  text
    .trimEnd()
    .split("\n")
    .map((l) => [...l].length);

test("without a width the table keeps to 80 columns; a wider terminal's width is used", () => {
  const d = decision([vuln("CVE-2022-1304", "e2fsprogs"), vuln("GHSA-7fh5-64p2-3v2j", "postcss"), ROOT]);
  const narrow = formatTable(d, { color: false });
  assert.ok(Math.max(...widths(narrow)) <= 80, narrow);
  const wide = formatTable(d, { color: false, width: 160 });
  assert.ok(Math.max(...widths(wide)) > 80 && Math.max(...widths(wide)) <= 160, wide);
  // The long message is one line when there is room for it.
  assert.match(
    wide,
    /│ effective_user │ stop {3}│ User root found as effective user, which is explicity not allowed and more words and/,
  );
});

test("vulnerability rows: id, severity, package, installed and fixed versions, action; ids never cut", () => {
  const facts = {
    ref: { registry: "registry.example", repository: "team/app" },
    vulnerabilities: [
      {
        id: "CVE-2022-1304",
        package: { name: "e2fsprogs", version: "1.46.2-2", type: "dpkg" },
        severity: "high",
        fix: { state: "fixed", versions: ["1:2.36.1-8+deb11u1"] },
      },
    ],
  } as ImageFacts;
  const d = decision([vuln("CVE-2022-1304", "e2fsprogs")]);
  const text = formatTable(d, { color: false, width: 100, facts });
  assert.match(text, /│ Vulnerability +│ Severity │ Package +│ Installed +│ Fixed +│ Action │/);
  assert.match(text, /│ CVE-2022-1304 +│ low +│ e2fsprogs +│ 1\.46\.2-2 +│ 1:2\.36\.1-8\+deb11u1 +│ stop +│/);
  assert.doesNotMatch(text, /Vulnerability found in/, "the message adds nothing to the columns");
  // At 80 columns the fixed version wraps after its punctuation, the id stays whole.
  assert.match(
    formatTable(d, { color: false, facts }),
    /│ CVE-2022-1304 │ low +│ e2fsprogs │ 1\.46\.2-2 +│ 1:2\.36\.1-8\+ +│ stop +│\n│ +│ +│ +│ +│ deb11u1 +│ +│/,
  );
});

test("allowlisting shows under the hit; an unreadable vulnerability message is kept", () => {
  const text = formatTable(
    decision([
      vuln("CVE-2022-1304", "e2fsprogs", {
        effectiveAction: "go",
        allowlisted: { allowlistId: "list", itemId: "accepted-e2fs", pattern: "CVE-2022-1304+*" },
      }),
      vuln("CVE-2022-9999", "zlib", { message: "something scanners said about zlib" }),
    ]),
    { color: false },
  );
  assert.match(text, /│ allowlisted by list: accepted-e2fs +│/);
  assert.match(text, /│ something scanners said about zlib +│/);
});

test("hostile input: escaped, and an endless id still fits the width", () => {
  const id = `CVE-${"9".repeat(200)}`;
  const text = formatTable(
    decision([vuln(id, "pkg"), { ...ROOT, message: "evil \u001b[2J\r forged line" }]),
    { color: false },
  );
  assert.ok(Math.max(...widths(text)) <= 80, text);
  assert.ok(!text.includes("\u001b"), "no raw escape");
  assert.match(text, /evil \\x1b\[2J\\r forged line/);
});

test("colour only when asked", () => {
  const d = decision([vuln("CVE-2022-1304", "e2fsprogs")]);
  assert.ok(!formatTable(d, { color: false }).includes("\u001b["));
  assert.ok(formatTable(d, { color: true }).includes("\u001b["));
});

test("summaryOnly (check --quiet): the summary line alone", () => {
  const d = decision([vuln("CVE-2022-1304", "e2fsprogs"), ROOT]);
  assert.equal(
    formatTable(d, { color: false, summaryOnly: true }),
    "FAIL final action STOP (policy evaluation): 2 stop, 0 warn, 0 allowlisted\n",
  );
});

test("wrap breaks between words, then after punctuation, and cuts only words without any", () => {
  assert.deepEqual(wrap("see CVE-2023-38408 now", 15), ["see", "CVE-2023-38408", "now"]);
  assert.deepEqual(wrap("1:7.9p1-10+deb10u3", 10), ["1:7.9p1-", "10+deb10u3"]);
  assert.deepEqual(wrap("1:7.9p1-10+deb10u3", 8), ["1:7.9p1-", "10+", "deb10u3"]);
  assert.deepEqual(wrap("a".repeat(12), 5), ["aaaaa", "aaaaa", "aa"]);
  assert.deepEqual(wrap("note: one two three", 12, "  "), ["note: one", "  two three"]);
});
