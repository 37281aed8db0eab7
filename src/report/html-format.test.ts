import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { type Browser, chromium } from "playwright-core";
import { goldenDecisions, matchGolden } from "../../test/support/golden.js";
import type { DecisionV1, ResultRow } from "../model/index.js";
import { escapeHtml, formatHtml, htmlSeverity } from "./html-format.js";
import { vexSuppressed } from "./vex-suppressed.js";

const OPTIONS = { color: false };
const golden = goldenDecisions();

function baseDecision(results: ResultRow[] = []): DecisionV1 {
  return {
    schemaVersion: "1",
    decisionId: "00000000-0000-0000-0000-000000000001",
    image: { ref: "docker.io/library/demo:1", registry: "docker.io", repository: "library/demo", tag: "1" },
    bundle: { id: "b", digest: "sha256:00" },
    mapping: { id: "m", index: 0 },
    policies: [{ id: "p" }],
    finalAction: "warn",
    policyAction: "warn",
    status: "pass",
    reason: "policy_evaluation",
    results,
    problems: [],
    evaluatedAt: "2026-11-22T00:00:00.000Z",
  };
}

function row(message: string, over: Partial<ResultRow> = {}): ResultRow {
  return {
    policyId: "p",
    gate: "vulnerabilities",
    trigger: "package",
    triggerId: "CVE-1+pkg",
    message,
    action: "warn",
    effectiveAction: "warn",
    status: "fired",
    ...over,
  };
}

const counting = (d: DecisionV1) => d.results.filter((r) => !r.allowlisted && !vexSuppressed(r));

describe("formatHtml golden files", () => {
  for (const g of golden) {
    test(g.name, { skip: g.skip }, () => {
      assert.ok(g.decision);
      matchGolden(`html/${g.name}.html`, formatHtml(g.decision, OPTIONS));
    });
  }
});

describe("formatHtml", () => {
  test("counts only hits that are neither allowlisted nor suppressed by VEX", () => {
    const d = baseDecision([
      row("HIGH one", { triggerId: "a" }),
      row("LOW two", {
        triggerId: "b",
        effectiveAction: "go",
        allowlisted: { allowlistId: "al", itemId: "i1", pattern: "b", reason: "accepted", owner: "team-x" },
      }),
      row("MEDIUM three", {
        triggerId: "c",
        effectiveAction: "go",
        vex: { status: "not_affected", document: "doc-1" },
      }),
      row("CRITICAL four", { triggerId: "d", vex: { status: "under_investigation" } }),
    ]);
    const html = formatHtml(d, OPTIONS);
    assert.match(html, /data-testid="findings-count">2</);
    assert.equal(html.match(/data-testid="finding-row"/g)?.length, 2);
    assert.equal(html.match(/data-testid="allowlisted-row"/g)?.length, 1);
    assert.equal(html.match(/data-testid="vex-row"/g)?.length, 1);
    assert.match(html, /accepted<\/td><td>team-x<\/td>/);
    assert.match(html, /not_affected<\/td>.*doc-1/);
    assert.match(html, /CRITICAL four <span class="tag">VEX under_investigation<\/span>/);
  });

  test("sorts rows most urgent first, then in decision order", () => {
    const d = baseDecision([
      row("LOW a", { triggerId: "1" }),
      row("policy hit", {
        gate: "dockerfile",
        trigger: "effective_user",
        triggerId: "2",
        effectiveAction: "stop",
      }),
      row("CRITICAL b", { triggerId: "3" }),
      row("HIGH c", { triggerId: "4", effectiveAction: "stop" }),
    ]);
    const ids = [...formatHtml(d, OPTIONS).matchAll(/<td class="id"><code>([^<]*)<\/code><\/td><\/tr>/g)].map(
      (m) => m[1],
    );
    assert.deepEqual(ids, ["4", "2", "3", "1"]);
  });

  test("derives severity from a vulnerability row's leading word, else policy", () => {
    assert.equal(htmlSeverity(row("CRITICAL Vulnerability found")), "critical");
    assert.equal(htmlSeverity(row("  negligible thing")), "negligible");
    assert.equal(htmlSeverity(row("The vulnerability feed is stale")), "policy");
    assert.equal(htmlSeverity(row("HIGH but another gate", { gate: "dockerfile" })), "policy");
  });

  test("draws one bar per severity present with a segment per action", () => {
    const d = baseDecision([
      row("HIGH a", { effectiveAction: "stop" }),
      row("HIGH b"),
      row("HIGH c"),
      row("root user", { gate: "dockerfile" }),
    ]);
    const svg = /<svg[\s\S]*<\/svg>/.exec(formatHtml(d, OPTIONS))?.[0] ?? "";
    assert.match(svg, /<title>high · stop: 1<\/title>/);
    assert.match(svg, /<title>high · warn: 2<\/title>/);
    assert.match(svg, /<title>policy · warn: 1<\/title>/);
    assert.doesNotMatch(svg, />critical</);
    assert.match(formatHtml(baseDecision(), OPTIONS), /No counting findings/);
  });

  test("escapes hostile text everywhere it appears", () => {
    const evil = `<script>alert("x")</script><img src=x onerror=alert(1)> & 'q'`;
    const d = baseDecision([
      row(evil, { gate: evil, trigger: evil, triggerId: evil }),
      row(evil, {
        effectiveAction: "go",
        allowlisted: {
          allowlistId: evil,
          itemId: evil,
          pattern: evil,
          reason: evil,
          owner: evil,
          expiresOn: evil,
        },
      }),
      row(evil, {
        effectiveAction: "go",
        vex: { status: "not_affected", justification: evil, document: evil },
      }),
    ]);
    d.image.ref = evil;
    d.bundle.name = evil;
    d.decisionId = evil;
    d.problems.push({ level: "error", code: evil, message: evil, path: evil });
    const html = formatHtml(d, OPTIONS);
    assert.equal(html.match(/<script/g)?.length, 1, "only the report's own script tag");
    assert.doesNotMatch(html, /<img/);
    assert.ok(
      html.includes(
        "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt; &amp; &#39;q&#39;",
      ),
    );
  });

  test("makes control characters visible and keeps very long messages whole", () => {
    assert.equal(
      escapeHtml("a\u0000b\u001b[31mc\u007f\u0085\td\ne"),
      "a\\u0000b\\u001B[31mc\\u007F\\u0085\td\ne",
    );
    const long = `CRITICAL ${"x".repeat(200_000)}`;
    const html = formatHtml(baseDecision([row(`${long}\u0007`)]), OPTIONS);
    assert.ok(html.includes(`${long}\\u0007`));
    // biome-ignore lint/suspicious/noControlCharactersInRegex: no raw control character may reach the page
    assert.doesNotMatch(html, /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/);
  });

  test("references nothing outside the page and allows only its own style and script", () => {
    const d = golden.find((g) => g.decision)?.decision ?? baseDecision([row("HIGH a")]);
    const html = formatHtml(d, OPTIONS);
    assert.doesNotMatch(html, /\b(src|href)=|url\(|@import|<link/i);
    const hash = (s: string) => `'sha256-${createHash("sha256").update(s).digest("base64")}'`;
    const style = /<style>([\s\S]*?)<\/style>/.exec(html)?.[1] ?? "";
    const script = /<script>([\s\S]*?)<\/script>/.exec(html)?.[1] ?? "";
    assert.ok(html.includes(`style-src ${hash(style)}`));
    assert.ok(html.includes(`script-src ${hash(script)}`));
    assert.equal(formatHtml(d, OPTIONS), html, "deterministic");
  });

  test("renders 10,000 findings quickly", () => {
    const rows = Array.from({ length: 10_000 }, (_, i) =>
      row(`${["CRITICAL", "HIGH", "LOW"][i % 3]} Vulnerability found in package p${i} (CVE-2024-${i})`, {
        triggerId: `CVE-2024-${i}+p${i}`,
        effectiveAction: i % 7 === 0 ? "stop" : "warn",
      }),
    );
    const start = performance.now();
    const html = formatHtml(baseDecision(rows), OPTIONS);
    const ms = performance.now() - start;
    assert.ok(ms < 1000, `took ${ms.toFixed(0)} ms`);
    assert.equal(html.match(/data-testid="finding-row"/g)?.length, 10_000);
    assert.ok(html.length < 4_000_000, `${html.length} characters`);
  });
});

const CHROMIUM = "/usr/bin/chromium";
const noChromium = existsSync(CHROMIUM)
  ? false
  : `${CHROMIUM} not found (apt-get install chromium): browser test skipped`;
if (noChromium) console.log(`# ${noChromium}`);

describe("formatHtml in headless Chromium", { skip: noChromium, timeout: 20_000 }, () => {
  let browser: Browser | undefined;
  let dir = "";
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "cipolice-html-"));
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
      ],
    });
  });
  after(async () => {
    await browser?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("shows the decision's findings, sorts on a header click, fetches nothing", async () => {
    assert.ok(browser);
    const decision = structuredClone(golden.find((g) => g.name === "legacy-app")?.decision);
    assert.ok(decision, "legacy-app golden decision");
    // Mix in the allowlisted and VEX-suppressed rows and a hostile message, which must not count or run.
    for (const g of golden)
      if (g.name.startsWith("webapp-") && g.decision) decision.results.push(...g.decision.results);
    decision.results.push(
      row(
        `LOW <script>window.pwned=1</script><img src="https://example.invalid/x.png" onerror="window.pwned=2">`,
        {
          triggerId: "AAA+hostile",
        },
      ),
    );
    const expected = counting(decision).length;
    assert.ok(expected < decision.results.length);

    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const requests: string[] = [];
    page.on("request", (r) => requests.push(r.url()));
    await page.setContent(formatHtml(decision, OPTIONS), { waitUntil: "load" });

    assert.equal(Number(await page.getByTestId("findings-count").textContent()), expected);
    const rows = page.getByTestId("finding-row");
    assert.equal(await rows.count(), expected);
    assert.equal(await page.evaluate("typeof window.pwned"), "undefined");
    assert.equal(await page.locator("td.msg", { hasText: "<script>window.pwned=1</script>" }).count(), 1);

    const ids = () => page.locator('[data-testid="finding-row"] td:nth-child(6)').allTextContents();
    const before = await ids();
    const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });
    const ascending = [...before].sort(collator.compare);
    assert.notDeepEqual(before, ascending, "the rendered order is not already by trigger id");
    await page.getByRole("button", { name: "Trigger ID" }).click();
    assert.deepEqual(await ids(), ascending);
    await page.getByRole("button", { name: "Trigger ID" }).click();
    assert.deepEqual(await ids(), [...ascending].reverse());
    await page.getByRole("button", { name: "Action" }).click();
    const actions = await page.locator('[data-testid="finding-row"] td:nth-child(3) .act').allTextContents();
    assert.deepEqual(
      actions,
      [...actions].sort((a, b) => ["stop", "warn", "go"].indexOf(a) - ["stop", "warn", "go"].indexOf(b)),
    );

    const shot = join(dir, "report.png");
    await page.screenshot({ path: shot, fullPage: true });
    assert.ok(statSync(shot).size > 1000);
    assert.deepEqual(
      [...readFileSync(shot).subarray(0, 8)],
      [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
    );

    const outside = requests.filter((u) => !/^(data|about):/.test(u));
    assert.deepEqual(outside, [], "no request leaves the page");
    await page.close();
  });
});
